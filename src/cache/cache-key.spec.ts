import { canonicalJson, CacheKeyParts, OPEN_SCOPE, responseCacheKey } from './cache-key';

const parts = (): CacheKeyParts => ({
  scope: OPEN_SCOPE,
  kind: 'chat',
  model: { id: null, taskType: 'general', requirements: { reliability: 0.9 }, fallback: true },
  input: [{ role: 'user', content: 'Say hi.' }],
  params: { temperature: 0.2, max_tokens: 64, stop: ['\n'], top_p: 0.9, n: 1, seed: 7, tools: [{ name: 'f', parameters: { type: 'object' } }] },
  native: null,
});

describe('response cache key', () => {
  it('does not depend on the order fields were written in, at any depth', () => {
    const a = parts();
    const b: CacheKeyParts = {
      native: null,
      params: { tools: [{ parameters: { type: 'object' }, name: 'f' }], seed: 7, n: 1, top_p: 0.9, stop: ['\n'], max_tokens: 64, temperature: 0.2 },
      input: [{ content: 'Say hi.', role: 'user' }],
      model: { fallback: true, requirements: { reliability: 0.9 }, taskType: 'general', id: null },
      kind: 'chat',
      scope: OPEN_SCOPE,
    };
    expect(responseCacheKey(b)).toBe(responseCacheKey(a));
    expect(responseCacheKey(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats an undefined field as an absent one', () => {
    const a = parts();
    expect(responseCacheKey({ ...a, params: { ...a.params, logit_bias: undefined } })).toBe(responseCacheKey(a));
  });

  it.each<[string, (p: CacheKeyParts) => void]>([
    ['temperature', (p) => (p.params.temperature = 0.3)],
    ['max_tokens', (p) => (p.params.max_tokens = 65)],
    ['stop', (p) => (p.params.stop = ['\n\n'])],
    ['seed', (p) => (p.params.seed = 8)],
    ['a new parameter', (p) => (p.params.response_format = { type: 'json_object' })],
    ['a tool', (p) => (p.params.tools = [{ name: 'g', parameters: { type: 'object' } }])],
    ['the messages', (p) => (p.input = [{ role: 'user', content: 'Say hello.' }])],
    ['the message order', (p) => (p.input = [{ role: 'system', content: 'x' }, { role: 'user', content: 'Say hi.' }])],
    ['the endpoint', (p) => (p.kind = 'completion')],
    ['the model', (p) => (p.model.id = 'gpt-x')],
    ['the task type', (p) => (p.model.taskType = 'code_generation')],
    ['the requirements', (p) => (p.model.requirements = { reliability: 0.8 })],
    ['fallback', (p) => (p.model.fallback = false)],
    ['the native body', (p) => (p.native = { protocol: 'anthropic', body: { thinking: { type: 'enabled' } } })],
  ])('changes when %s changes', (_name, change) => {
    const changed = parts();
    change(changed);
    expect(responseCacheKey(changed)).not.toBe(responseCacheKey(parts()));
  });

  it("changes with the scope: one key's entries are not another's", () => {
    expect(responseCacheKey({ ...parts(), scope: 'key-a' })).not.toBe(responseCacheKey({ ...parts(), scope: 'key-b' }));
    expect(responseCacheKey({ ...parts(), scope: 'key-a' })).not.toBe(responseCacheKey(parts()));
  });

  it('writes canonical JSON with sorted keys and no undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, undefined], c: undefined } })).toBe('{"a":{"d":[3,null]},"b":1}');
  });
});
