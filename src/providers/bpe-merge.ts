/** Byte sequences of a tokenizer's vocabulary, each as a latin1 string (one char per byte), to its rank. */
export type Ranks = ReadonlyMap<string, number>;

/** The longest piece merged at once; longer ones are split first (`textWindows` keeps them shorter). */
export const MAX_MERGE_BYTES = 1 << 14;

/**
 * How many tokens byte-pair encoding makes of one piece (`bytes`: one char per byte). The same
 * merges as tiktoken's (the lowest-ranked adjacent pair first, the leftmost of equal ranks, until
 * no pair is in the vocabulary), but the pairs wait in a heap instead of being rescanned after
 * every merge: O(n log n) instead of O(n^2), which made a long run of one letter take seconds.
 */
export function mergedTokenCount(bytes: string, ranks: Ranks): number {
  const n = bytes.length;
  if (n > MAX_MERGE_BYTES) throw new RangeError(`a piece of ${n} bytes is longer than ${MAX_MERGE_BYTES}`);
  // Parts are identified by their first byte; `end` and `next` describe the parts still alive.
  const { end, next, prev, pairRank, heap } = scratch;
  for (let i = 0; i < n; i++) {
    end[i] = i + 1;
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  let heapSize = 0;
  const push = (key: number): void => {
    let i = heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= key) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = key;
  };
  const popMin = (): number => {
    const top = heap[0];
    const last = heap[--heapSize];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  };
  /** Queues the pair that starts with part `left`, keyed by rank then position. */
  const offerPair = (left: number): void => {
    const right = next[left];
    const rank = right < 0 ? undefined : ranks.get(bytes.slice(left, end[right]));
    pairRank[left] = rank ?? -1;
    if (rank !== undefined) push(rank * MAX_MERGE_BYTES + left);
  };

  for (let i = 0; i < n - 1; i++) offerPair(i);
  pairRank[n - 1] = -1;
  let parts = n;
  while (heapSize > 0) {
    const key = popMin();
    const left = key % MAX_MERGE_BYTES;
    // A pair's bytes only grow as its parts merge, so a queued rank that no longer matches is stale.
    if (pairRank[left] !== (key - left) / MAX_MERGE_BYTES) continue;
    const right = next[left];
    end[left] = end[right];
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    pairRank[right] = -1;
    parts--;
    offerPair(left);
    if (prev[left] >= 0) offerPair(prev[left]);
  }
  return parts;
}

/** Reused between calls (merging is synchronous), so short pieces allocate nothing. */
const scratch = {
  end: new Int32Array(MAX_MERGE_BYTES),
  next: new Int32Array(MAX_MERGE_BYTES),
  prev: new Int32Array(MAX_MERGE_BYTES),
  pairRank: new Int32Array(MAX_MERGE_BYTES),
  // Every pair queued at the start, and at most two more per merge.
  heap: new Float64Array(3 * MAX_MERGE_BYTES),
};
