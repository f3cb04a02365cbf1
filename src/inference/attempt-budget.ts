/** Why a request stopped trying candidates before running out of them (`details.stopped_by`). */
export type Stop = 'max_attempts' | 'request_timeout';

/**
 * Less than this left of the request's deadline counts as none: timers fire up to a few ms off
 * the monotonic clock, and a call given a moment's time could only fail after reaching (and
 * perhaps billing) a provider.
 */
export const MIN_ATTEMPT_MS = 10;

/** Whether the attempt with this index (from 0) may start with this much of the deadline left, or why not. */
export function stopBefore(index: number, remainingMs: number, maxAttempts: number): Stop | null {
  if (remainingMs < MIN_ATTEMPT_MS) return 'request_timeout';
  return index >= maxAttempts ? 'max_attempts' : null;
}

/** A call's timeout: whole milliseconds, at least one (AbortSignal.timeout takes nothing else), and no more than PROVIDER_TIMEOUT_MS. */
export function callTimeout(remainingMs: number, providerTimeoutMs: number): number {
  return Math.max(1, Math.floor(Math.min(providerTimeoutMs, remainingMs)));
}
