import { AliasTable, isValidAlias, isValidTarget } from './alias-table';

describe('AliasTable.resolve', () => {
  const table = new AliasTable([
    { alias: 'claude-*', target: 'fallback-claude' },
    { alias: 'claude-3-5-haiku-*', target: 'haiku' },
    { alias: 'claude-3-5-haiku-20241022', target: 'exact-haiku' },
    { alias: 'gpt-4o', target: 'auto:code' },
    { alias: 'a*', target: 'caught-by-a' },
  ]);

  it('maps an exact alias to its target, before any prefix pattern', () => {
    expect(table.resolve('gpt-4o')).toBe('auto:code');
    expect(table.resolve('claude-3-5-haiku-20241022')).toBe('exact-haiku');
  });

  it('takes the longest prefix pattern that matches', () => {
    expect(table.resolve('claude-3-5-haiku-latest')).toBe('haiku');
    expect(table.resolve('claude-sonnet-4-5-20250929')).toBe('fallback-claude');
  });

  it('leaves a name no alias matches unchanged', () => {
    expect(table.resolve('gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(table.resolve('claude')).toBe('claude');
    expect(AliasTable.EMPTY.resolve('gpt-4o')).toBe('gpt-4o');
  });

  it('never resolves the router names, even when a prefix pattern matches them', () => {
    expect(table.resolve('auto')).toBe('auto');
    expect(table.resolve('auto:code')).toBe('auto:code');
    expect(table.resolve('autocoder')).toBe('caught-by-a');
  });

  it('does not resolve a target again', () => {
    const chained = new AliasTable([
      { alias: 'one', target: 'two' },
      { alias: 'two', target: 'three' },
    ]);
    expect(chained.resolve('one')).toBe('two');
  });

  it('treats pattern characters other than a final * literally', () => {
    const dotted = new AliasTable([{ alias: 'gpt-4.1*', target: 'x' }]);
    expect(dotted.resolve('gpt-4.1-mini')).toBe('x');
    expect(dotted.resolve('gpt-4x1-mini')).toBe('gpt-4x1-mini');
  });
});

describe('isValidAlias', () => {
  it.each(['claude-sonnet-4-5-20250929', 'claude-3-5-haiku-*', 'openai/gpt-4o', 'llama3.1:8b', 'x*', 'a'.repeat(128), 'autocoder'])('accepts %s', (alias) => {
    expect(isValidAlias(alias)).toBe(true);
  });

  it.each(['', '*', '-gpt', 'gpt*4', 'gpt**', 'gpt 4', 'gpt@x', 'a'.repeat(129), 'auto', 'auto:code', 'auto:*'])('refuses %j', (alias) => {
    expect(isValidAlias(alias)).toBe(false);
  });
});

describe('isValidTarget', () => {
  it.each(['my-model', 'llama3.1:8b', 'org/model@v2', 'auto', 'auto:code_generation'])('accepts %s', (target) => {
    expect(isValidTarget(target)).toBe(true);
  });

  it.each(['', 'auto:', 'auto:Code', 'auto:code gen', '-x', 'a'.repeat(129)])('refuses %j', (target) => {
    expect(isValidTarget(target)).toBe(false);
  });
});
