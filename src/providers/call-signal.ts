import { ProviderError, ProviderErrorCode } from './provider-error';
import { CallControl } from './provider.types';

/**
 * One AbortSignal for a provider call that fires on the caller's cancel or on the timeout,
 * and tells afterwards which of the two it was. Built from one controller, a listener and a timer
 * rather than `AbortSignal.timeout` and `AbortSignal.any`, which cost several times the CPU and
 * leave their timer and weak references to the garbage collector (docs/performance.md); so
 * `dispose()` must be called when the call is over, in a `finally`.
 */
export class CallSignal {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private timedOut = false;

  constructor(private readonly control: CallControl) {
    this.signal = this.controller.signal;
    if (control.signal.aborted) {
      this.controller.abort(control.signal.reason);
      return;
    }
    control.signal.addEventListener('abort', this.onCancel, { once: true });
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new DOMException(`Provider did not answer within ${control.timeoutMs} ms`, 'TimeoutError'));
    }, control.timeoutMs);
    // Like AbortSignal.timeout's: a pending call's timer does not keep the process alive.
    this.timer.unref();
  }

  /** The error to throw once the signal has fired, or null when it has not. */
  abortError(): ProviderError | null {
    if (this.control.signal.aborted) return new ProviderError(ProviderErrorCode.Cancelled, 'Request was cancelled');
    if (this.timedOut) {
      return new ProviderError(ProviderErrorCode.Timeout, `Provider did not answer within ${this.control.timeoutMs} ms`);
    }
    return null;
  }

  /** Stops the timer and stops listening to the caller's signal; the call is over. */
  dispose(): void {
    clearTimeout(this.timer);
    this.control.signal.removeEventListener('abort', this.onCancel);
  }

  private readonly onCancel = (): void => this.controller.abort(this.control.signal.reason);
}

/** Exponentiated mean of token log-probabilities: the geometric mean of token probabilities. */
export function confidenceFromLogprobs(logprobs: readonly number[]): number | null {
  const finite = logprobs.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const mean = finite.reduce((sum, lp) => sum + lp, 0) / finite.length;
  return Math.min(1, Math.max(0, Math.exp(mean)));
}
