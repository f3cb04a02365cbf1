import { mergedTokenCount } from './bpe-merge';

/** tiktoken's own merge loop (js-tiktoken's `bytePairMerge`): rescan every pair, merge the lowest rank, leftmost first. */
function referenceCount(bytes: string, ranks: Map<string, number>): number {
  const parts = Array.from({ length: bytes.length }, (_, i) => ({ start: i, end: i + 1 }));
  for (;;) {
    let best: { rank: number; index: number } | null = null;
    for (let i = 0; i < parts.length - 1; i++) {
      const rank = ranks.get(bytes.slice(parts[i].start, parts[i + 1].end));
      if (rank !== undefined && (best === null || rank < best.rank)) best = { rank, index: i };
    }
    if (!best) return parts.length;
    parts.splice(best.index, 2, { start: parts[best.index].start, end: parts[best.index + 1].end });
  }
}

/** A deterministic pseudo-random source, so a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('mergedTokenCount', () => {
  it('merges exactly as tiktoken does, ties to the leftmost pair, on random texts and vocabularies', () => {
    const random = generator(7);
    for (let round = 0; round < 200; round++) {
      const alphabet = 'abc'.slice(0, 1 + Math.floor(random() * 3));
      const pick = (length: number) => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      // A vocabulary gives each byte sequence its own rank, as tiktoken's do; the order is random.
      const entries = [...new Set(Array.from({ length: 40 }, () => pick(2 + Math.floor(random() * 5))))];
      const order = entries.map((entry) => ({ entry, key: random() })).sort((a, b) => a.key - b.key);
      const ranks = new Map(order.map(({ entry }, rank) => [entry, rank]));
      const text = pick(1 + Math.floor(random() * 60));
      expect({ text, count: mergedTokenCount(text, ranks) }).toEqual({ text, count: referenceCount(text, ranks) });
    }
  });

  it('leaves a piece with no known pair as one token per byte', () => {
    expect(mergedTokenCount('xyz', new Map([['ab', 0]]))).toBe(3);
  });

  it('merges a long run of one byte in a handful of tokens', () => {
    const ranks = new Map([
      ['aa', 0],
      ['aaaa', 1],
      ['aaaaaaaa', 2],
    ]);
    expect(mergedTokenCount('a'.repeat(16_000), ranks)).toBe(2000);
  });
});
