import { redactSecrets } from '../secrets/redact-secrets';

const REDACTED = '[redacted]';

/**
 * Field names whose values are secrets whatever they hold, at any depth: `api_key`, `apiKey`,
 * `x-api-key`, `authorization`, `password`, `token`, `access_token`, `admin_token`, `client_secret`,
 * `cookie`, `encryption_key`, `api_key_sealed`... (`max_tokens`, `token_limit` are not secrets).
 */
const SECRET_FIELD = /(api[-_]?key|token|secret|password|passwd|authorization|cookie|credentials?|(encryption|private)[-_]?key)([-_]?sealed)?$/i;

/** A log line is no place for a deep or huge structure, and a cycle must not loop: both are cut. */
const MAX_DEPTH = 6;
const MAX_ITEMS = 50;
const MAX_VALUES = 1000;

/** Shorter "secrets" (a Redis password `x`) would blank out ordinary words. */
const MIN_KNOWN_SECRET_LENGTH = 8;

export interface SerializedError {
  type?: string;
  message?: string;
  stack?: string;
  [field: string]: unknown;
}

/**
 * Makes what is about to be logged safe to write: values of secret-named fields are censored at
 * any depth, and every string (message, field values, error messages and stacks) is cleaned of
 * the secrets the service knows (admin token, client keys, provider keys from the environment)
 * and of anything shaped like a key or token, since vendors' error messages can embed them.
 */
export class LogSanitizer {
  private readonly secrets: string[];

  constructor(secrets: readonly (string | null | undefined)[] = []) {
    this.secrets = secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length >= MIN_KNOWN_SECRET_LENGTH);
  }

  text(text: string): string {
    return redactSecrets(text, ...this.secrets);
  }

  fields(fields: Record<string, unknown>): Record<string, unknown> {
    return new Walk(this).record(fields, 0);
  }

  /** An error as a plain object: its type, message and stack, and its own fields (a code, a status, details, a cause). */
  error(error: Error | { stack: string }): SerializedError {
    return new Walk(this).error(error, 0);
  }
}

/** One sanitizing pass, with its budget of values. */
class Walk {
  private remaining = MAX_VALUES;

  constructor(private readonly sanitizer: LogSanitizer) {}

  record(record: object, depth: number): Record<string, unknown> {
    // No prototype: a logged object's keys may be anyone's, `__proto__` included.
    const clean = Object.create(null) as Record<string, unknown>;
    for (const [key, value] of Object.entries(record)) clean[key] = this.field(key, value, depth);
    return clean;
  }

  error(error: Error | { stack: string }, depth: number): SerializedError {
    if (!(error instanceof Error)) return { stack: this.sanitizer.text(error.stack) };
    const serialized: SerializedError = { type: error.name, message: this.sanitizer.text(error.message) };
    if (error.stack !== undefined) serialized.stack = this.sanitizer.text(error.stack);
    for (const [key, value] of Object.entries(error)) {
      if (key !== 'name' && key !== 'message' && key !== 'stack') serialized[key] = this.field(key, value, depth);
    }
    if (error.cause !== undefined) serialized.cause = this.value(error.cause, depth + 1);
    return serialized;
  }

  private array(items: unknown[], depth: number): unknown[] {
    const clean = items.slice(0, MAX_ITEMS).map((item) => this.value(item, depth + 1));
    if (items.length > MAX_ITEMS) clean.push(`[${items.length - MAX_ITEMS} more]`);
    return clean;
  }

  private field(key: string, value: unknown, depth: number): unknown {
    if (SECRET_FIELD.test(key) && value !== null && value !== undefined && typeof value !== 'boolean') return REDACTED;
    return this.value(value, depth + 1);
  }

  private value(value: unknown, depth: number): unknown {
    if (--this.remaining < 0) return '[truncated]';
    if (typeof value === 'string') return this.sanitizer.text(value);
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    if (typeof value !== 'object' || value === null) return value;
    if (value instanceof Error) return this.error(value, depth);
    if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    // Dates, URLs and the like say what they are through toJSON.
    if (hasToJson(value)) return this.value(value.toJSON(), depth);
    if (depth > MAX_DEPTH) return '[truncated]';
    if (Array.isArray(value)) return this.array(value, depth);
    return this.record(value, depth);
  }
}

function hasToJson(value: object): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
