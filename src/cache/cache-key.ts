import { createHash } from 'node:crypto';

/** The scope of callers without a client key (CLIENT_AUTH=off, the operator's token): they share one. */
export const OPEN_SCOPE = 'open';

/** Bumped when what an entry holds changes shape, so old entries are never read as new ones. */
const ENTRY_VERSION = 1;

/**
 * What makes two requests the same request: whoever may see the answer (`scope`, a client key's
 * id), which endpoint, what the router would choose from and every input the model reads. Values
 * must be JSON data (no undefined inside arrays, no class instances with hidden state).
 */
export interface CacheKeyParts {
  scope: string;
  kind: 'chat' | 'completion';
  /** The named model, or null when the router chooses; with what changes its choice. */
  model: { id: string | null; taskType: string | null; requirements: unknown; fallback: boolean };
  /** The messages as the model reads them (context folded in), or the completion prompt. */
  input: unknown;
  /** Every generation parameter (temperature, max_tokens, sampling, n, response_format, tools, tool_choice, ...). */
  params: Record<string, unknown>;
  /** A request in a provider's own protocol (`/v1/messages`), `stream` left out; null otherwise. */
  native: unknown;
}

/** The Redis key suffix of a request's answer: SHA-256 of its canonical JSON, hex. */
export function responseCacheKey(parts: CacheKeyParts): string {
  return createHash('sha256')
    .update(canonicalJson({ v: ENTRY_VERSION, ...parts }))
    .digest('hex');
}

/**
 * JSON with object keys sorted at every depth and undefined members dropped, so two objects that
 * say the same thing serialize the same whatever the order their fields were written in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sorted(item)));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, item]) => [key, sorted(item)]));
}
