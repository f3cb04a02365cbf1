/** Every error code the service answers with; the HTTP status of each is fixed here, in one place. */
export const ErrorCode = {
  ValidationFailed: 'validation_failed',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  AdminDisabled: 'admin_disabled',
  NotFound: 'not_found',
  ModelNotFound: 'model_not_found',
  Conflict: 'conflict',
  RateLimited: 'rate_limited',
  BudgetExceeded: 'budget_exceeded',
  ConcurrencyLimited: 'concurrency_limited',
  ModelCannotServe: 'model_cannot_serve',
  ProviderError: 'provider_error',
  NoModelAvailable: 'no_model_available',
  ServiceUnavailable: 'service_unavailable',
  DatabaseUnavailable: 'database_unavailable',
  Interrupted: 'interrupted',
  Internal: 'internal_error',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const HTTP_STATUS_OF: Record<ErrorCode, number> = {
  validation_failed: 400,
  payload_too_large: 400,
  unsupported_media_type: 415,
  unauthorized: 401,
  forbidden: 403,
  admin_disabled: 403,
  not_found: 404,
  model_not_found: 404,
  conflict: 409,
  rate_limited: 429,
  budget_exceeded: 429,
  concurrency_limited: 429,
  model_cannot_serve: 422,
  provider_error: 502,
  no_model_available: 503,
  service_unavailable: 503,
  database_unavailable: 503,
  interrupted: 503,
  internal_error: 500,
};

/**
 * Errors worth retrying after a pause, with the `Retry-After` (seconds) they answer with; an error's own
 * `details.retry_after_seconds` (the limits') takes precedence.
 */
export const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  database_unavailable: 1,
  service_unavailable: 1,
};
