import { ValidationFailed } from '../errors/domain-error';
import { assertSafeJson, MAX_JSON_DEPTH, MAX_JSON_VALUES, unsafeJsonFields } from './json-safety';

/** `levels` arrays inside each other, innermost empty: `[[[]]]` is 3. */
function nestedArrays(levels: number): unknown {
  let value: unknown[] = [];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

describe('JSON safety rules', () => {
  it('accepts ordinary bodies, paired surrogates (emoji) included', () => {
    const body = { messages: [{ role: 'user', content: 'Hello 👋, ça va? 日本語' }], metadata: { user_id: 'u-1' }, n: 1, ok: true, none: null };
    expect(unsafeJsonFields(body)).toEqual({});
    expect(() => assertSafeJson(body)).not.toThrow();
    expect(unsafeJsonFields(undefined)).toEqual({});
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more, naming where it starts`, () => {
    expect(unsafeJsonFields(nestedArrays(MAX_JSON_DEPTH))).toEqual({});
    expect(unsafeJsonFields({ tools: nestedArrays(MAX_JSON_DEPTH - 1) })).toEqual({});

    const fields = unsafeJsonFields({ tools: nestedArrays(MAX_JSON_DEPTH) });
    const path = ['tools', ...Array<string>(MAX_JSON_DEPTH - 1).fill('0')].join('.');
    expect(fields).toEqual({ [path]: [`nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`] });
  });

  it('walks 100,000 levels without growing the call stack', () => {
    let deep: unknown = [];
    for (let level = 0; level < 100_000; level++) deep = [deep];
    expect(Object.keys(unsafeJsonFields(deep))).toHaveLength(1);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'x\ud800'],
    ['a lone low surrogate', '\udc00x'],
    ['surrogates in the wrong order', '\udc00\ud800'],
  ])('refuses %s in a value, naming the field', (_name, text) => {
    const fields = unsafeJsonFields({ metadata: { user_id: text }, messages: [{ content: 'ok' }, { content: text }] });
    expect(Object.keys(fields)).toEqual(['metadata.user_id', 'messages.1.content']);
    expect(fields['metadata.user_id'][0]).toMatch(/NUL.*surrogates/);
  });

  it('refuses NUL or a lone surrogate in a key, showing the key with U+FFFD', () => {
    expect(unsafeJsonFields({ metadata: { 'us\u0000er': 1, ['\ud800']: 'x' } })).toEqual({
      'metadata.us\uFFFDer': [expect.stringMatching(/^keys must not contain/)],
      'metadata.\uFFFD': [expect.stringMatching(/^keys must not contain/)],
    });
  });

  it('refuses __proto__, constructor and prototype as keys, at any depth, but not as values', () => {
    const body = JSON.parse('{"__proto__": {"prompt": "x"}, "metadata": {"constructor": 1, "note": "prototype"}, "list": [{"prototype": 1}]}');
    expect(Object.keys(unsafeJsonFields(body))).toEqual(['__proto__', 'metadata.constructor', 'list.0.prototype']);
  });

  it(`accepts ${MAX_JSON_VALUES} values and refuses one more, naming the object or array that holds it`, () => {
    const items = (count: number) => Array.from({ length: count }, () => 'x');
    expect(unsafeJsonFields({ texts: items(MAX_JSON_VALUES - 2) })).toEqual({});
    expect(unsafeJsonFields({ texts: items(MAX_JSON_VALUES - 1) })).toEqual({
      texts: [`takes the body past ${MAX_JSON_VALUES} values (objects, arrays, strings, numbers, booleans, nulls)`],
    });
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 0]));
    expect(Object.keys(unsafeJsonFields({ metadata: { user_id: '\u0000' }, context: [{ metadata: wide }] }))).toEqual(['metadata.user_id', 'context.0.metadata']);
  });

  it('lists problems in the order of the body', () => {
    const fields = unsafeJsonFields({ a: '\u0000', b: [{ c: '\u0000' }], d: '\u0000' });
    expect(Object.keys(fields)).toEqual(['a', 'b.0.c', 'd']);
  });

  it('throws ValidationFailed with the fields', () => {
    let thrown: unknown;
    try {
      assertSafeJson({ prompt: '\u0000' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationFailed);
    expect((thrown as ValidationFailed).details.fields).toEqual({ prompt: [expect.any(String)] });
  });

  it('costs about what parsing the body cost', () => {
    const text = JSON.stringify(Object.fromEntries(Array.from({ length: MAX_JSON_VALUES / 2 - 1 }, (_, i) => [`k${i}`, `value ${i}`])));
    const timed = (run: () => unknown) => {
      const started = performance.now();
      run();
      return performance.now() - started;
    };
    const wide: unknown = JSON.parse(text);
    const parsing = timed(() => JSON.parse(text));
    expect(timed(() => unsafeJsonFields(wide))).toBeLessThan(5 * parsing + 100);
  });
});
