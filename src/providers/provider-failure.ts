import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { ProviderError, ProviderErrorCode } from './provider-error';

/** One provider call that failed, as listed in error details and kept in a request's fallback trail. */
export interface FailedAttempt {
  model_id: string;
  provider: string;
  error: { code: ProviderErrorCode; message: string; retryable: boolean; status: number | null };
}

/** Normalizes whatever an adapter threw; anything that is not a ProviderError is an adapter bug, reported as unknown. */
export function failedAttempt(model: { id: string; provider: string }, error: unknown): FailedAttempt {
  const providerError =
    error instanceof ProviderError
      ? error
      : new ProviderError(ProviderErrorCode.Unknown, error instanceof Error ? error.message : String(error));
  return {
    model_id: model.id,
    provider: model.provider,
    error: {
      code: providerError.code,
      message: providerError.message,
      retryable: providerError.retryable,
      status: providerError.status,
    },
  };
}

/**
 * Whether another model was tried after the failed call at `index` of a request's trail: every
 * failure but the last was followed by one, and the last too when a later model produced the
 * outcome (`answered`). The `fallback_attempted` of `model.request.failed` and the fallback metric.
 */
export function fallbackFollowed(index: number, attempts: readonly FailedAttempt[], answered: boolean): boolean {
  return index < attempts.length - 1 || answered;
}

/**
 * The answer once calls have failed (SPEC 'Decisions'): a non-retryable provider error is a 502
 * `provider_error`; when every candidate failed with retryable errors, 503 listing the attempts.
 */
export function failureOf(attempts: FailedAttempt[]): DomainError {
  const last = attempts[attempts.length - 1];
  if (last && !last.error.retryable) {
    return new DomainError(ErrorCode.ProviderError, `Provider rejected the request: ${last.error.message}`, { attempts });
  }
  return new DomainError(ErrorCode.NoModelAvailable, 'Every candidate model failed', { attempts });
}
