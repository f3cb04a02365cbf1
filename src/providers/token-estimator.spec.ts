import { TokenEstimator } from './token-estimator';

describe('TokenEstimator', () => {
  const estimator = new TokenEstimator();

  it('counts with o200k_base for GPT-4o-family models, matching OpenAI tokenization', async () => {
    await expect(estimator.count('gpt-4o', 'Hello world, this is a test.')).resolves.toBe(8);
  });

  it('counts with cl100k_base for other models', async () => {
    await expect(estimator.count('text-embedding-3-small', 'Hello world')).resolves.toBe(2);
    await expect(estimator.count('claude-sonnet-4-20250514', 'Hello world')).resolves.toBe(2);
  });

  it('counts nothing in an empty text', async () => {
    await expect(estimator.count('gpt-4o', '')).resolves.toBe(0);
  });

  it('names the encoding a model is counted with, so counts can be shared between models', () => {
    expect(estimator.encodingFor('gpt-4.1-mini')).toBe('o200k_base');
    expect(estimator.encodingFor('gpt-3.5-turbo')).toBe('cl100k_base');
    expect(estimator.encodingFor('llama3')).toBe('cl100k_base');
  });

  it("reads text that looks like a special token as text instead of refusing it", async () => {
    await expect(estimator.count('gpt-4o', 'before <|endoftext|> after')).resolves.toBeGreaterThan(3);
  });

  it('counts prompts made to be slow for BPE: a long run of one character, a long run of random letters', async () => {
    await expect(estimator.count('gpt-4o', 'a'.repeat(200_000))).resolves.toBe(25_000);
    const letters = Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(97 + ((i * 7919 + (i >> 3)) % 26))).join('');
    const count = await estimator.count('claude-3-haiku', letters);
    // Random letters make about one token per two or three; any count of a non-empty text is at least one and at most its bytes.
    expect(count).toBeGreaterThan(200_000 / 4);
    expect(count).toBeLessThan(200_000);
  });

  it('serves counts that arrive while its encoding is still loading', async () => {
    const fresh = new TokenEstimator();
    const counts = await Promise.all(['one', 'two', 'three four'].map((text) => fresh.count('gpt-4o-mini', text)));
    expect(counts).toEqual([1, 1, 2]);
  });
});
