/**
 * Splits a text into windows of at most `maxChars`, so a tokenizer's cost is bounded per window.
 * A window ends, where it can, where tiktoken's pre-tokenizer patterns start a new piece whatever
 * follows: before a space that follows a non-space, or after a newline that precedes a non-space
 * other than `/` (o200k lets `/` follow newlines). Cut there, the windows' tiktoken counts add up
 * to the whole text's. Only a stretch of `maxChars` with no such place is cut where the limit
 * falls (never inside a surrogate pair).
 */
export function* textWindows(text: string, maxChars: number): Generator<string> {
  let start = 0;
  while (text.length - start > maxChars) {
    const end = cleanCutBefore(text, start, start + maxChars) ?? hardCut(text, start, start + maxChars);
    yield text.slice(start, end);
    start = end;
  }
  if (start < text.length) yield text.slice(start);
}

/** The last clean cut in (start, limit], if any. */
function cleanCutBefore(text: string, start: number, limit: number): number | null {
  for (let i = limit; i > start; i--) if (isCleanCut(text, i)) return i;
  return null;
}

function isCleanCut(text: string, i: number): boolean {
  const before = text.charCodeAt(i - 1);
  const at = text.charCodeAt(i);
  if (at === SPACE) return !isWhitespace(before);
  return before === NEWLINE && !isWhitespace(at) && at !== SLASH;
}

/** Cuts at `limit`, or one before it so as not to split a surrogate pair (unless the window would be empty). */
function hardCut(text: string, start: number, limit: number): number {
  const before = text.charCodeAt(limit - 1);
  return before >= 0xd800 && before <= 0xdbff && limit - 1 > start ? limit - 1 : limit;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const SLASH = 0x2f;

/** `\s` as the pre-tokenizers' patterns read it. */
function isWhitespace(code: number): boolean {
  return WHITESPACE.test(String.fromCharCode(code));
}

const WHITESPACE = /\s/;
