import { ValidationFailed } from '../common/errors/domain-error';
import { answerCheckFor } from './answer-check';

describe('answerCheckFor', () => {
  const person = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
    required: ['name', 'age'],
    additionalProperties: false,
  };
  const check = answerCheckFor({ type: 'json_schema', name: 'person', schema: person })!;

  it('needs no check for text, or no format', () => {
    expect(answerCheckFor(undefined)).toBeNull();
    expect(answerCheckFor({ type: 'text' })).toBeNull();
  });

  it('accepts an answer that matches the schema', () => {
    expect(check('{"name":"Ada","age":36}')).toBeNull();
  });

  it.each([
    ['not JSON', 'Sure! {"name":"Ada"}', 'the answer is not JSON'],
    ['a missing required property', '{"name":"Ada"}', "must have required property 'age'"],
    ['a wrong type', '{"name":"Ada","age":"36"}', '/age must be integer'],
    ['a bound it breaks', '{"name":"Ada","age":-1}', '/age must be >= 0'],
    ['an extra property', '{"name":"Ada","age":1,"x":1}', 'must NOT have additional properties'],
  ])('says why an answer with %s does not match', (_case, answer, reason) => {
    expect(check(answer)).toContain(reason);
  });

  it('wants any JSON object for json_object', () => {
    const object = answerCheckFor({ type: 'json_object' })!;
    expect(object('{"a":[1]}')).toBeNull();
    expect(object('[1,2]')).toBe('the answer is JSON but not an object');
    expect(object('"text"')).toBe('the answer is JSON but not an object');
  });

  it('leaves pattern and format to the provider: a caller-written regular expression never runs on the gateway', () => {
    const evil = answerCheckFor({
      type: 'json_schema',
      name: 'evil',
      schema: { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$', format: 'email' }, pattern: { type: 'number' } } },
    })!;
    expect(evil(JSON.stringify({ s: `${'a'.repeat(50)}!` }))).toBeNull();
    // `pattern` as a property name is still checked.
    expect(evil('{"pattern":"x"}')).toContain('/pattern must be number');
  });

  it('reads draft-07 schemas as draft-07', () => {
    const tuple = answerCheckFor({
      type: 'json_schema',
      name: 'tuple',
      schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'array', items: [{ type: 'string' }], additionalItems: false },
    })!;
    expect(tuple('["a"]')).toBeNull();
    expect(tuple('["a", 1]')).toContain('must NOT have more than 1 items');
  });

  it('refuses a schema it cannot compile with a 400 naming the field', () => {
    expect(() => answerCheckFor({ type: 'json_schema', name: 'bad', schema: { type: 'nonsense' } })).toThrow(ValidationFailed);
    expect(() => answerCheckFor({ type: 'json_schema', name: 'remote', schema: { $ref: 'https://example.com/schema.json' } })).toThrow(
      expect.objectContaining({ details: { fields: { 'response_format.json_schema.schema': [expect.stringContaining('is not a valid JSON Schema')] } } }),
    );
  });
});
