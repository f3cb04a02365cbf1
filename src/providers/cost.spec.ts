import { estimateCost } from './cost';

describe('estimateCost', () => {
  it('charges prompt tokens at the input price and completion tokens at the output price, per 1K', () => {
    expect(estimateCost({ input: 0.0025, output: 0.01 }, { prompt: 1000, completion: 500 })).toBe(0.0075);
    expect(estimateCost({ input: 0.00015, output: 0.0006 }, { prompt: 12, completion: 7 })).toBe(0.000006);
  });

  it('is zero for free models and for no tokens', () => {
    expect(estimateCost({ input: 0, output: 0 }, { prompt: 5000, completion: 5000 })).toBe(0);
    expect(estimateCost({ input: 0.01, output: 0.03 }, { prompt: 0, completion: 0 })).toBe(0);
  });

  it("matches Anthropic's bill: cache reads and 5-minute cache writes at their own prices", () => {
    // Claude Sonnet: $3/M input, $3.75/M cache write, $0.30/M cache read, $15/M output. Anthropic's
    // input_tokens excludes the cached ones, so the prompt count is 100 + 2000 + 5000.
    const sonnet = { input: 0.003, output: 0.015, cachedInput: 0.0003, cacheWrite: 0.00375 };
    const usage = { input_tokens: 100, cache_creation_input_tokens: 2000, cache_read_input_tokens: 5000, output_tokens: 50 };
    const bill = usage.input_tokens * 3e-6 + usage.cache_creation_input_tokens * 3.75e-6 + usage.cache_read_input_tokens * 0.3e-6 + usage.output_tokens * 15e-6;

    const cost = estimateCost(sonnet, {
      prompt: usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens,
      completion: usage.output_tokens,
      cached: usage.cache_read_input_tokens,
      cacheWrite: usage.cache_creation_input_tokens,
    });
    expect(cost).toBeCloseTo(bill, 12);
    expect(cost).toBe(0.01005);
  });

  it("matches OpenAI's bill: cached tokens are part of prompt_tokens, billed at the cached rate", () => {
    // GPT-4o: $2.50/M input, $1.25/M cached input, $10/M output.
    const gpt4o = { input: 0.0025, output: 0.01, cachedInput: 0.00125 };
    const usage = { prompt_tokens: 2000, prompt_tokens_details: { cached_tokens: 1536 }, completion_tokens: 100 };
    const bill = (2000 - 1536) * 2.5e-6 + 1536 * 1.25e-6 + 100 * 10e-6;

    const cost = estimateCost(gpt4o, { prompt: usage.prompt_tokens, completion: usage.completion_tokens, cached: usage.prompt_tokens_details.cached_tokens });
    expect(cost).toBeCloseTo(bill, 12);
    expect(cost).toBe(0.00408);
  });

  it('bills cached and cache-written tokens at the input price when the model has no cache prices', () => {
    const tokens = { prompt: 7100, completion: 50, cached: 5000, cacheWrite: 2000 };
    const uncachedBill = estimateCost({ input: 0.003, output: 0.015 }, { prompt: 7100, completion: 50 });
    expect(estimateCost({ input: 0.003, output: 0.015 }, tokens)).toBe(uncachedBill);
    expect(estimateCost({ input: 0.003, output: 0.015, cachedInput: null, cacheWrite: null }, tokens)).toBe(uncachedBill);
  });

  it('never bills a negative number of uncached tokens when cache counts exceed the prompt count', () => {
    const prices = { input: 0.003, output: 0.015, cachedInput: 0.0003, cacheWrite: 0.00375 };
    expect(estimateCost(prices, { prompt: 100, completion: 0, cached: 80, cacheWrite: 40 })).toBe(0.000174); // 80 read + 40 written, 0 uncached
  });
});
