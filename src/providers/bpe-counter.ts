import { setImmediate as nextTurn } from 'node:timers/promises';
import { MAX_MERGE_BYTES, mergedTokenCount, Ranks } from './bpe-merge';
import { textWindows } from './text-windows';

/** A tiktoken encoding as js-tiktoken ships it (`js-tiktoken/ranks/*`). */
export interface BpeRanksFile {
  pat_str: string;
  bpe_ranks: string;
}

export interface BpeCounterOptions {
  /** Characters counted between two turns of the event loop; also the window `textWindows` cuts. */
  windowChars?: number;
}

/** Small enough that one window, even one long piece, takes a few milliseconds at most. */
const WINDOW_CHARS = 2048;
/** Vocabulary entries decoded between two turns of the event loop while loading. */
const RANKS_PER_TURN = 5_000;
/** Pieces at least this long are remembered within one count: a run of one character repeats them. */
const MEMO_MIN_BYTES = 64;

/**
 * Counts tokens as tiktoken's `encode(text).length` does (special tokens read as plain text), in
 * time linear in the text and without holding the event loop for more than one window at a time.
 * js-tiktoken's own encoder merges each piece in quadratic time, so a long run without spaces
 * stalled the whole process (5,000 `a`s: 2.3 s); this one uses its vocabulary files with a heap
 * (`mergedTokenCount`) and cuts the text into windows (`textWindows`). The count equals tiktoken's
 * except where a window had to be cut inside a run of 2,048 characters with no space: there it may
 * be off by a token or so per cut.
 */
export class BpeCounter {
  private readonly windowChars: number;

  private constructor(
    private readonly ranks: Ranks,
    private readonly pattern: RegExp,
    options: BpeCounterOptions,
  ) {
    this.windowChars = options.windowChars ?? WINDOW_CHARS;
  }

  /** Decodes the vocabulary (a few hundred milliseconds for o200k) in slices, so requests keep being served meanwhile. */
  static async load(file: BpeRanksFile, options: BpeCounterOptions = {}): Promise<BpeCounter> {
    const ranks = new Map<string, number>();
    let decoded = 0;
    for (const [token, rank] of vocabulary(file.bpe_ranks)) {
      // atob gives the bytes one char each, the keys' form, three times faster than a Buffer round trip.
      ranks.set(atob(token), rank);
      if (++decoded % RANKS_PER_TURN === 0) await nextTurn();
    }
    return new BpeCounter(ranks, new RegExp(file.pat_str, 'gu'), options);
  }

  async count(text: string): Promise<number> {
    const memo = new Map<string, number>();
    let tokens = 0;
    let first = true;
    for (const window of textWindows(text, this.windowChars)) {
      if (!first) await nextTurn();
      first = false;
      // matchAll works on its own copy of the pattern, so counts running at once do not interfere.
      for (const match of window.matchAll(this.pattern)) tokens += this.pieceTokens(latin1Bytes(match[0]), memo);
    }
    return tokens;
  }

  private pieceTokens(bytes: string, memo: Map<string, number>): number {
    if (bytes.length === 1 || this.ranks.has(bytes)) return 1;
    if (bytes.length > MAX_MERGE_BYTES) return this.pieceTokens(bytes.slice(0, MAX_MERGE_BYTES), memo) + this.pieceTokens(bytes.slice(MAX_MERGE_BYTES), memo);
    if (bytes.length < MEMO_MIN_BYTES) return mergedTokenCount(bytes, this.ranks);
    let tokens = memo.get(bytes);
    if (tokens === undefined) {
      tokens = mergedTokenCount(bytes, this.ranks);
      memo.set(bytes, tokens);
    }
    return tokens;
  }
}

/**
 * The entries of js-tiktoken's vocabulary format, read in place rather than split (the file is
 * megabytes): each line is a marker, the rank of its first token, then base64 tokens of
 * consecutive ranks, separated by spaces.
 */
function* vocabulary(bpeRanks: string): Generator<[token: string, rank: number]> {
  for (let lineStart = 0; lineStart < bpeRanks.length; ) {
    const lineEnd = indexOrEnd(bpeRanks, '\n', lineStart);
    const rankStart = Math.min(indexOrEnd(bpeRanks, ' ', lineStart), lineEnd) + 1;
    let cursor = Math.min(indexOrEnd(bpeRanks, ' ', rankStart), lineEnd);
    let rank = Number.parseInt(bpeRanks.slice(rankStart, cursor), 10);
    while (cursor < lineEnd) {
      const tokenEnd = Math.min(indexOrEnd(bpeRanks, ' ', cursor + 1), lineEnd);
      yield [bpeRanks.slice(cursor + 1, tokenEnd), rank++];
      cursor = tokenEnd;
    }
    lineStart = lineEnd + 1;
  }
}

function indexOrEnd(text: string, char: string, from: number): number {
  const index = text.indexOf(char, from);
  return index < 0 ? text.length : index;
}

/** The UTF-8 bytes of a piece, one char per byte (the vocabulary's keys); most pieces are ASCII already. */
function latin1Bytes(piece: string): string {
  return NON_ASCII.test(piece) ? Buffer.from(piece, 'utf8').toString('latin1') : piece;
}

const NON_ASCII = /[\u0080-\uffff]/;
