import { toJsonb } from './jsonb';

describe('toJsonb', () => {
  it('is plain JSON for what Postgres stores as is', () => {
    const value = { content: 'Hello 👋 "quoted" \\u0000 as text', n: [1, null, true] };
    expect(toJsonb(value)).toBe(JSON.stringify(value));
  });

  it('replaces NUL characters and lone surrogates, in values and keys, with U+FFFD', () => {
    const value = { content: 'a\u0000b', parts: ['c\ud800', '\udc00d', 'e👋'], ['k\u0000']: 1 };
    expect(JSON.parse(toJsonb(value))).toEqual({ content: 'a\ufffdb', parts: ['c\ufffd', '\ufffdd', 'e👋'], ['k\ufffd']: 1 });
  });
});
