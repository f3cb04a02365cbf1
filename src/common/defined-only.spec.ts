import { definedOnly } from './defined-only';

describe('definedOnly', () => {
  it('drops undefined fields and keeps every other value, null and falsy ones included', () => {
    expect(definedOnly({ a: 1, b: undefined, c: null, d: 0, e: '', f: false })).toEqual({ a: 1, c: null, d: 0, e: '', f: false });
    expect(Object.keys(definedOnly({ a: undefined, b: 2 }))).toEqual(['b']);
  });

  it('returns a new object and leaves its argument alone', () => {
    const given = { a: 1, b: undefined };
    expect(definedOnly(given)).not.toBe(given);
    expect(given).toEqual({ a: 1, b: undefined });
  });
});
