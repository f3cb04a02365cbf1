/**
 * A prompt as a fixed-size vector, for learning kinds of requests from traffic (`prompt-kinds.ts`).
 * Hashed word unigrams and bigrams, character trigrams and a few shape markers (length, share of
 * digits, symbols and line breaks), each count damped by log(1 + n), then scaled to unit length.
 * No vocabulary and no model: nothing to download, and the same text gives the same vector on
 * every instance. One pass over the text, so the cost is linear in its length.
 */

/** Hash buckets: fixed memory per vector and per kind. */
export const FEATURE_DIM = 1024;
/** Only the start of a prompt is read: it says what is asked, and bounds the cost of a huge one. */
export const MAX_FEATURE_CHARS = 4096;
/** Character trigrams are many and weak evidence each: they weigh less than words. */
const CHAR_WEIGHT = 0.25;
/** Shape markers are one feature each among hundreds: they weigh more, so they still count. */
const MARKER_WEIGHT = 2;

const WORD = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

/** The text's unit vector (an empty text has its shape markers only). */
export function promptFeatures(text: string): Float32Array {
  const head = text.slice(0, MAX_FEATURE_CHARS).toLowerCase();
  const counts = new Float32Array(FEATURE_DIM);
  let previous = '';
  for (const match of head.matchAll(WORD)) {
    const word = match[0];
    counts[bucket(word, 0x9e3779b1)] += 1;
    if (previous) counts[bucket(`${previous} ${word}`, 0x85ebca6b)] += 1;
    previous = word;
  }
  for (let i = 0; i + 3 <= head.length; i += 1) counts[trigramBucket(head, i)] += CHAR_WEIGHT;
  for (const marker of shapeMarkers(text, head)) counts[bucket(marker, 0xc2b2ae35)] += MARKER_WEIGHT;
  return unitDamped(counts);
}

/** The words a prompt's hint may show: those of at least three letters, from the part that was read. */
export function hintWords(text: string): string[] {
  return text.slice(0, MAX_FEATURE_CHARS).toLowerCase().match(/\p{L}{3,}/gu) ?? [];
}

/** Coarse shape of the prompt: how long (log2 buckets of the full length), how much of its head is digits, symbols, line breaks. */
function shapeMarkers(text: string, head: string): string[] {
  let digits = 0;
  let symbols = 0;
  let lines = 0;
  for (let i = 0; i < head.length; i += 1) {
    const c = head.charCodeAt(i);
    if (c >= 48 && c <= 57) digits += 1;
    else if (c === 10) lines += 1;
    else if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) symbols += 1;
  }
  const n = Math.max(1, head.length);
  const level = (share: number) => Math.min(4, Math.floor(Math.sqrt(share) * 10));
  return [`#len:${Math.floor(Math.log2(1 + text.length))}`, `#digits:${level(digits / n)}`, `#symbols:${level(symbols / n)}`, `#lines:${level(lines / n)}`];
}

function unitDamped(counts: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < counts.length; i += 1) {
    if (counts[i] === 0) continue;
    counts[i] = Math.log1p(counts[i]);
    norm += counts[i] * counts[i];
  }
  if (norm === 0) return counts;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < counts.length; i += 1) counts[i] *= scale;
  return counts;
}

/** FNV-1a over UTF-16 code units, mixed with a per-family seed so words, bigrams and markers hash apart. */
function bucket(text: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % FEATURE_DIM;
}

function trigramBucket(text: string, at: number): number {
  let hash = 0x811c9dc5;
  for (let i = at; i < at + 3; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % FEATURE_DIM;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i] * b[i];
  return sum;
}
