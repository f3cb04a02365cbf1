import { dot, FEATURE_DIM } from './prompt-features';

/**
 * Kinds of requests learned from traffic (docs/routing.md, 'Requests without a task type'):
 * online spherical k-means with a fixed number of kinds. A prompt joins the kind whose centroid
 * (the direction of the sum of its members' unit vectors) is nearest by cosine similarity; while
 * fewer than the maximum exist, a prompt unlike every kind starts a new one. The sums only grow,
 * so each kind's centroid settles as it gathers members: a kind keeps its meaning, and the scores
 * learned for it stay about the same requests.
 */

export interface KindRules {
  /** The most kinds a deployment learns. */
  maxKinds: number;
  /** A prompt whose best similarity is below this starts a new kind (while there is room). */
  newKindBelow: number;
}

/** Words counted per kind for its hint (a space-saving sketch: bounded, keeps the frequent ones). */
const HINT_SKETCH_SIZE = 48;
const HINT_WORDS = 5;

export interface Kind {
  id: number;
  /** Sum of the unit vectors of the prompts it took. */
  sum: Float32Array;
  count: number;
  /** Frequent words of its prompts, for its hint. */
  words: Map<string, number>;
}

export interface Assignment {
  /** An existing kind's id, or null: start a new kind. */
  kindId: number | null;
  similarity: number;
}

export function emptyKind(id: number): Kind {
  return { id, sum: new Float32Array(FEATURE_DIM), count: 0, words: new Map() };
}

/** Where a prompt's vector belongs: the nearest kind, or a new one when it is like none and there is room. */
export function assign(kinds: Kind[], vector: Float32Array, rules: KindRules): Assignment {
  let best: Assignment = { kindId: null, similarity: -1 };
  for (const kind of kinds) {
    const similarity = cosine(kind.sum, vector);
    if (similarity > best.similarity) best = { kindId: kind.id, similarity };
  }
  if (best.kindId === null || (best.similarity < rules.newKindBelow && kinds.length < rules.maxKinds)) return { kindId: null, similarity: best.similarity };
  return best;
}

/** Adds a prompt to a kind (its vector, and its distinct words to the hint sketch). */
export function addTo(kind: Kind, vector: Float32Array, words: string[]): void {
  for (let i = 0; i < vector.length; i += 1) kind.sum[i] += vector[i];
  kind.count += 1;
  countWords(kind.words, new Set(words));
}

/** Adds what one kind holds to another (a delta to its stored kind). */
export function merge(target: Kind, source: Kind): void {
  for (let i = 0; i < target.sum.length; i += 1) target.sum[i] += source.sum[i];
  target.count += source.count;
  for (const [word, n] of source.words) countWords(target.words, [word], n);
}

/** Space-saving: a word not in a full sketch replaces the rarest, inheriting its count (an upper bound). */
export function countWords(sketch: Map<string, number>, words: Iterable<string>, by = 1): void {
  for (const word of words) {
    const known = sketch.get(word);
    if (known !== undefined) {
      sketch.set(word, known + by);
      continue;
    }
    if (sketch.size < HINT_SKETCH_SIZE) {
      sketch.set(word, by);
      continue;
    }
    let rarest = '';
    let rarestCount = Infinity;
    for (const [w, n] of sketch) if (n < rarestCount) [rarest, rarestCount] = [w, n];
    sketch.delete(rarest);
    sketch.set(word, rarestCount + by);
  }
}

/**
 * A few words that set the kind apart, for people: frequent in its prompts and rare in the
 * others' (a word every kind uses, like "the", says nothing about any of them).
 */
export function hintOf(kind: Kind, kinds: Kind[]): string[] {
  const everywhere = new Map<string, number>();
  for (const other of kinds) for (const [word, n] of other.words) everywhere.set(word, (everywhere.get(word) ?? 0) + n);
  return [...kind.words]
    .map(([word, n]) => ({ word, score: (n * n) / (everywhere.get(word) ?? n) }))
    .sort((a, b) => b.score - a.score || a.word.localeCompare(b.word))
    .slice(0, HINT_WORDS)
    .map((entry) => entry.word);
}

function cosine(sum: Float32Array, unit: Float32Array): number {
  const norm = Math.sqrt(dot(sum, sum));
  return norm === 0 ? 0 : dot(sum, unit) / norm;
}
