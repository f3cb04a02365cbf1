import { Caller, ClientKey } from './client-key';
import { assertMayUse, modelAllowed } from './permissions';

function keyCaller(models: string[] | null, capabilities: string[] | null): Caller {
  const key = { id: 'k', name: 'team-a', models, capabilities, limits: {}, owner: { team: null, project: null, user: null } } as unknown as ClientKey;
  return { kind: 'key', key };
}

describe('what a key may use', () => {
  it('matches models exactly or by a trailing-* prefix', () => {
    const caller = keyCaller(['gpt-4o', 'claude-*'], null);
    expect(modelAllowed(caller, 'gpt-4o')).toBe(true);
    expect(modelAllowed(caller, 'gpt-4o-mini')).toBe(false);
    expect(modelAllowed(caller, 'claude-sonnet')).toBe(true);
    expect(modelAllowed(keyCaller(null, null), 'anything')).toBe(true);
    expect(modelAllowed({ kind: 'open' }, 'anything')).toBe(true);
  });

  it('refuses with 403 naming the capabilities a key lacks, or the model', () => {
    expect(() => assertMayUse(keyCaller(null, ['chat']), ['chat', 'vision'], undefined)).toThrow(
      expect.objectContaining({ code: 'forbidden', details: { capabilities: ['vision'] } }),
    );
    expect(() => assertMayUse(keyCaller(['a'], null), ['chat'], 'b')).toThrow(expect.objectContaining({ code: 'forbidden', details: { model_id: 'b' } }));
    expect(() => assertMayUse(keyCaller(['a'], ['chat']), ['chat'], 'a')).not.toThrow();
    expect(() => assertMayUse({ kind: 'admin' }, ['embedding'], 'z')).not.toThrow();
  });
});
