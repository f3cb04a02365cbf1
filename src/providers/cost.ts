/** USD cost from prices per 1K tokens, rounded to 10 decimal places to drop float noise. */
export function estimateCost(
  prices: { input: number; output: number },
  tokens: { prompt: number; completion: number },
): number {
  const cost = (tokens.prompt * prices.input + tokens.completion * prices.output) / 1000;
  return Math.round(cost * 1e10) / 1e10;
}
