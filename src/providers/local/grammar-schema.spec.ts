import { grammarSchema } from './grammar-schema';

const options = { label: 'the response_format schema' };

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

    expect(grammarSchema(schema, options)).toEqual({ type: 'object', properties, additionalProperties: false, maxProperties: 5 });
  });

  it('reads anyOf as oneOf, and a list of types as one alternative per type', () => {
    expect(grammarSchema({ anyOf: [{ type: 'string' }, { type: 'null' }] }, options)).toEqual({ oneOf: [{ type: 'string' }, { type: 'null' }] });
    expect(grammarSchema({ type: ['object', 'null'], properties: { a: { type: 'boolean' } } }, options)).toEqual({
      oneOf: [{ type: 'object', properties: { a: { type: 'boolean' } } }, { type: 'null' }],
    });
  });

  it('infers a missing type from the keywords present, and allows any value when none tell', () => {
    expect(grammarSchema({ properties: { a: { maxLength: 3 } } }, options)).toEqual({
      type: 'object',
      properties: { a: { type: 'string', maxLength: 3 } },
    });
    expect(grammarSchema({ items: { type: 'number' } }, options)).toEqual({ type: 'array', items: { type: 'number' } });
    expect(grammarSchema({}, options)).toEqual(ANY_VALUE);
    expect(grammarSchema({ description: 'anything' }, options)).toEqual(ANY_VALUE);
    expect(grammarSchema(true, options)).toEqual(ANY_VALUE);
  });

  it('writes a required property that the properties leave out as any value', () => {
    expect(grammarSchema({ type: 'object', required: ['a'] }, options)).toEqual({ type: 'object', properties: { a: ANY_VALUE } });
  });

  it('closes an array after its prefix when items is false', () => {
    expect(grammarSchema({ type: 'array', prefixItems: [{ type: 'string' }], items: false }, options)).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string' }],
      maxItems: 1,
    });
  });

  it("moves definitions into the root's $defs and points references there", () => {
    const schema = { type: 'object', properties: { pet: { $ref: '#/definitions/pet' } }, definitions: { pet: { type: 'string' } } };

    expect(grammarSchema(schema, options)).toEqual({
      type: 'object',
      properties: { pet: { $ref: '#/$defs/pet' } },
      $defs: { pet: { type: 'string' } },
    });
  });

  it('ignores what a grammar cannot enforce, strict or not: the gateway checks the answer against the whole schema', () => {
    expect(grammarSchema({ type: 'integer', minimum: 1, multipleOf: 2 }, options)).toEqual({ type: 'integer' });
    expect(grammarSchema({ type: 'array', items: [{ type: 'string' }] }, options)).toEqual({ type: 'array' });
    expect(grammarSchema({ type: 'integer', minimum: 1 }, options)).toEqual({ type: 'integer' });
    expect(grammarSchema({ type: 'string', pattern: '^a$', maxLength: 4 }, options)).toEqual({ type: 'string', maxLength: 4 });
    expect(grammarSchema({ $ref: '#' }, options)).toEqual(ANY_VALUE);
  });

  it.each([
    ['accepts no value at #/properties/a', { properties: { a: false } }],
    ['has an unknown type "float" at #', { type: 'float' }],
    ['has an empty enum at #', { enum: [] }],
    ['has no alternatives at #/anyOf', { anyOf: [] }],
    ['has an object or array as a const or enum value at #', { const: { a: 1 } }],
  ])('refuses a schema that %s', (problem, schema) => {
    expect(() => grammarSchema(schema, options)).toThrow(`The response_format schema ${problem}`);
  });

  it('names the tool whose parameters it refuses', () => {
    expect(() => grammarSchema({ type: 'float' }, { label: "tool f's parameters" })).toThrow(`Tool f's parameters has an unknown type "float" at #`);
  });
});
