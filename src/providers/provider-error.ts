/** Normalized provider failure codes. Retryable ones let the caller move on to the next candidate. */
export const ProviderErrorCode = {
  Timeout: 'timeout',
  Connection: 'connection_error',
  RateLimited: 'rate_limited',
  ServerError: 'server_error',
  BadRequest: 'bad_request',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  Cancelled: 'cancelled',
  Unavailable: 'unavailable',
  /** The answer does not have the form the request asked for (`response_format`): another model may do better. */
  InvalidOutput: 'invalid_output',
  Unknown: 'unknown',
} as const;

export type ProviderErrorCode = (typeof ProviderErrorCode)[keyof typeof ProviderErrorCode];

const RETRYABLE: ReadonlySet<ProviderErrorCode> = new Set([
  ProviderErrorCode.Timeout,
  ProviderErrorCode.Connection,
  ProviderErrorCode.RateLimited,
  ProviderErrorCode.ServerError,
  ProviderErrorCode.Unavailable,
  ProviderErrorCode.InvalidOutput,
]);

/**
 * Every adapter failure becomes one of these. The message is the provider's own, with secrets
 * removed by the adapter; `status` is the provider's HTTP status where there was one.
 */
export class ProviderError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'ProviderError';
    this.retryable = RETRYABLE.has(code);
  }

  /** The code for a provider's HTTP error status. */
  static fromStatus(status: number, message: string): ProviderError {
    return new ProviderError(codeForStatus(status), message, status);
  }
}

export function codeForStatus(status: number): ProviderErrorCode {
  if (status === 400 || status === 422) return ProviderErrorCode.BadRequest;
  if (status === 401) return ProviderErrorCode.Unauthorized;
  if (status === 403) return ProviderErrorCode.Forbidden;
  if (status === 404) return ProviderErrorCode.NotFound;
  if (status === 408) return ProviderErrorCode.Timeout;
  if (status === 429) return ProviderErrorCode.RateLimited;
  if (status >= 500) return ProviderErrorCode.ServerError;
  return ProviderErrorCode.Unknown;
}
