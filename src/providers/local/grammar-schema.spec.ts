import { grammarSchema } from './grammar-schema';

const strict = { strict: true, label: 'the response_format schema' };
const lenient = { strict: false, label: 'the response_format schema' };

const ANY_VALUE = {
  oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'object', additionalProperties: true }, { type: 'array' }],
};

describe('grammarSchema', () => {
  it('keeps what the grammar builder reads as it is, less `required` (it writes every property) and annotations', () => {
    const properties = {
      name: { type: 'string', minLength: 1, maxLength: 20 },
      when: { type: 'string', format: 'date' },
      mood: { enum: ['happy', 'sad'] },
      kind: { const: 'story' },
      tags: { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 3 },
    };
    const schema = { title: 'Story', type: 'object', properties, required: ['name'], additionalProperties: false, maxProperties: 5 };

    expect(grammarSchema(schema, strict)).toEqual({ type: 'object', properties, additionalProperties: false, maxProperties: 5 });
  });

  it('reads anyOf as oneOf, and a list of types as one alternative per type', () => {
    expect(grammarSchema({ anyOf: [{ type: 'string' }, { type: 'null' }] }, strict)).toEqual({ oneOf: [{ type: 'string' }, { type: 'null' }] });
    expect(grammarSchema({ type: ['object', 'null'], properties: { a: { type: 'boolean' } } }, strict)).toEqual({
      oneOf: [{ type: 'object', properties: { a: { type: 'boolean' } } }, { type: 'null' }],
    });
  });

  it('infers a missing type from the keywords present, and allows any value when none tell', () => {
    expect(grammarSchema({ properties: { a: { maxLength: 3 } } }, strict)).toEqual({
      type: 'object',
      properties: { a: { type: 'string', maxLength: 3 } },
    });
    expect(grammarSchema({ items: { type: 'number' } }, strict)).toEqual({ type: 'array', items: { type: 'number' } });
    expect(grammarSchema({}, strict)).toEqual(ANY_VALUE);
    expect(grammarSchema({ description: 'anything' }, strict)).toEqual(ANY_VALUE);
    expect(grammarSchema(true, strict)).toEqual(ANY_VALUE);
  });

  it('writes a required property that the properties leave out as any value', () => {
    expect(grammarSchema({ type: 'object', required: ['a'] }, strict)).toEqual({ type: 'object', properties: { a: ANY_VALUE } });
  });

  it('closes an array after its prefix when items is false', () => {
    expect(grammarSchema({ type: 'array', prefixItems: [{ type: 'string' }], items: false }, strict)).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string' }],
      maxItems: 1,
    });
  });

  it("moves definitions into the root's $defs and points references there", () => {
    const schema = { type: 'object', properties: { pet: { $ref: '#/definitions/pet' } }, definitions: { pet: { type: 'string' } } };

    expect(grammarSchema(schema, strict)).toEqual({
      type: 'object',
      properties: { pet: { $ref: '#/$defs/pet' } },
      $defs: { pet: { type: 'string' } },
    });
  });

  it.each([
    ['pattern', { type: 'string', pattern: '^a$' }],
    ['minimum', { type: 'integer', minimum: 1 }],
    ['allOf', { allOf: [{ type: 'string' }] }],
    ['format', { type: 'string', format: 'email' }],
    ['maxLength', { type: 'string', format: 'date', maxLength: 10 }],
    ['type', { type: 'string', oneOf: [{ const: 'a' }] }],
    ['$ref "#"', { type: 'object', properties: { self: { $ref: '#' } } }],
    ['items (as a list)', { type: 'array', items: [{ type: 'string' }] }],
  ])('refuses a strict schema that uses %s, which a grammar cannot enforce', (keyword, schema) => {
    expect(() => grammarSchema(schema, strict)).toThrow(expect.objectContaining({ code: 'bad_request', retryable: false }));
    expect(() => grammarSchema(schema, strict)).toThrow(`The response_format schema uses "${keyword}" at #`);
  });

  it('ignores what a grammar cannot enforce in a schema without strict', () => {
    expect(grammarSchema({ type: 'integer', minimum: 1 }, lenient)).toEqual({ type: 'integer' });
    expect(grammarSchema({ type: 'string', pattern: '^a$', maxLength: 4 }, lenient)).toEqual({ type: 'string', maxLength: 4 });
    expect(grammarSchema({ $ref: '#' }, lenient)).toEqual(ANY_VALUE);
  });

  it.each([
    ['accepts no value at #/properties/a', { properties: { a: false } }],
    ['has an unknown type "float" at #', { type: 'float' }],
    ['has an empty enum at #', { enum: [] }],
    ['has no alternatives at #/anyOf', { anyOf: [] }],
    ['has an object or array as a const or enum value at #', { const: { a: 1 } }],
  ])('refuses, strict or not, a schema that %s', (problem, schema) => {
    expect(() => grammarSchema(schema, lenient)).toThrow(`The response_format schema ${problem}`);
  });

  it('names the tool whose parameters it refuses', () => {
    expect(() => grammarSchema({ type: 'number', multipleOf: 2 }, { strict: true, label: "tool f's parameters" })).toThrow(
      `Tool f's parameters uses "multipleOf" at #`,
    );
  });
});
