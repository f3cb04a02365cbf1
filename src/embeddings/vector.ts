/**
 * Shortens an embedding to its first `dimensions` components and rescales it to unit length,
 * as OpenAI's `dimensions` does for text-embedding-3 models.
 */
export function shortenEmbedding(vector: readonly number[], dimensions: number): number[] {
  const head = vector.slice(0, dimensions);
  const norm = Math.sqrt(head.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? head : head.map((x) => x / norm);
}
