import { TokenEstimator } from './token-estimator';

describe('TokenEstimator', () => {
  const estimator = new TokenEstimator();

  it('counts with o200k_base for GPT-4o-family models, matching OpenAI tokenization', () => {
    expect(estimator.count('gpt-4o', 'Hello world, this is a test.')).toBe(8);
  });

  it('counts with cl100k_base for other models', () => {
    expect(estimator.count('text-embedding-3-small', 'Hello world')).toBe(2);
    expect(estimator.count('claude-sonnet-4-20250514', 'Hello world')).toBe(2);
  });

  it('counts nothing in an empty text', () => {
    expect(estimator.count('gpt-4o', '')).toBe(0);
  });
});
