import { ProviderError, ProviderErrorCode } from './provider-error';
import { CallControl } from './provider.types';

/**
 * One AbortSignal for a provider call that fires on the caller's cancel or on the timeout,
 * and tells afterwards which of the two it was.
 */
export class CallSignal {
  readonly signal: AbortSignal;
  private readonly timeout: AbortSignal;

  constructor(private readonly control: CallControl) {
    this.timeout = AbortSignal.timeout(control.timeoutMs);
    this.signal = AbortSignal.any([control.signal, this.timeout]);
  }

  /** The error to throw once the signal has fired, or null when it has not. */
  abortError(): ProviderError | null {
    if (this.control.signal.aborted) return new ProviderError(ProviderErrorCode.Cancelled, 'Request was cancelled');
    if (this.timeout.aborted) {
      return new ProviderError(ProviderErrorCode.Timeout, `Provider did not answer within ${this.control.timeoutMs} ms`);
    }
    return null;
  }
}

/** Exponentiated mean of token log-probabilities: the geometric mean of token probabilities. */
export function confidenceFromLogprobs(logprobs: readonly number[]): number | null {
  const finite = logprobs.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const mean = finite.reduce((sum, lp) => sum + lp, 0) / finite.length;
  return Math.min(1, Math.max(0, Math.exp(mean)));
}
