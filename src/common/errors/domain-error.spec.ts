import { MAX_LISTED_FIELDS, ValidationFailed } from './domain-error';

describe('ValidationFailed', () => {
  it('names every offending field when there are few', () => {
    const error = new ValidationFailed({ prompt: ['prompt must be a string'], 'metadata.user_id': ['too long'] });
    expect(error.message).toBe('Invalid request: prompt, metadata.user_id');
    expect(error.details).toEqual({ fields: { prompt: ['prompt must be a string'], 'metadata.user_id': ['too long'] } });
  });

  it(`lists the first ${MAX_LISTED_FIELDS} of 100,000 fields and counts the rest, in a bounded body`, () => {
    const fields = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, [`property k${i} should not exist`]]));
    const error = new ValidationFailed(fields);
    expect(Object.keys(error.details.fields as object)).toEqual(Array.from({ length: MAX_LISTED_FIELDS }, (_, i) => `k${i}`));
    expect(error.details.omitted_fields).toBe(100_000 - MAX_LISTED_FIELDS);
    expect(error.message).toMatch(/^Invalid request: k0, k1, .*, k19 and 99980 more$/);
    expect(JSON.stringify(error.toBody()).length).toBeLessThan(2000);
  });

  it('clips a field name or message a client made huge', () => {
    const key = 'k'.repeat(500_000);
    const error = new ValidationFailed({ [key]: [`property ${key} should not exist`] });
    expect(JSON.stringify(error.toBody()).length).toBeLessThan(2000);
    const [[field, [message]]] = Object.entries(error.details.fields as Record<string, string[]>);
    expect(field).toMatch(/^k+…$/);
    expect(message).toMatch(/^property k+…$/);
  });
});
