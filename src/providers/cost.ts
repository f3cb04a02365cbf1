/** Prices in USD per 1K tokens; a missing cache price bills those tokens at the input price. */
export interface ModelPrices {
  input: number;
  output: number;
  cachedInput?: number | null;
  cacheWrite?: number | null;
}

/**
 * Token counts of one call. `prompt` counts every input token, those read from (`cached`) and
 * written to (`cacheWrite`) the provider's prompt cache included.
 */
export interface TokenCounts {
  prompt: number;
  completion: number;
  cached?: number;
  cacheWrite?: number;
}

/** USD cost from prices per 1K tokens, rounded to 10 decimal places to drop float noise. */
export function estimateCost(prices: ModelPrices, tokens: TokenCounts): number {
  const cached = tokens.cached ?? 0;
  const cacheWrite = tokens.cacheWrite ?? 0;
  // A provider whose cache counts exceed its prompt count is never billed below zero for the rest.
  const uncached = Math.max(0, tokens.prompt - cached - cacheWrite);
  const cost =
    (uncached * prices.input +
      cached * (prices.cachedInput ?? prices.input) +
      cacheWrite * (prices.cacheWrite ?? prices.input) +
      tokens.completion * prices.output) /
    1000;
  return Math.round(cost * 1e10) / 1e10;
}
