import type { Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode, HTTP_STATUS_OF } from '../common/errors/error-code';
import { InvalidApiKey } from '../access/invalid-api-key';
import { OpenAiErrorBodyView } from './dto/openai-response.view';
import { sendJson } from '../common/http/send-json';

export type OpenAiErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'rate_limit_error' | 'api_error' | 'server_error';

export interface OpenAiErrorResponse {
  status: number;
  body: OpenAiErrorBodyView;
  /**
   * The `x-should-retry` header the OpenAI SDKs obey: false where a retry cannot succeed but the
   * status alone would make them retry (a duplicate request id, a provider that rejected the request).
   */
  shouldRetry?: boolean;
}

/** A spent budget does not come back within a client's retries. */
const NOT_RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([ErrorCode.Conflict, ErrorCode.ProviderError, ErrorCode.BudgetExceeded]);

/** Our error, same status, in OpenAI's shape: `{ "error": { "message", "type", "param", "code" } }`. */
export function toOpenAiError(error: DomainError): OpenAiErrorResponse {
  const status = HTTP_STATUS_OF[error.code];
  return {
    status,
    body: {
      error: {
        message: messageOf(error),
        type: errorType(status),
        param: paramOf(error),
        code: error instanceof InvalidApiKey ? InvalidApiKey.openAiCode : error.code,
      },
    },
    ...(NOT_RETRYABLE.has(error.code) && { shouldRetry: false }),
  };
}

export function errorType(status: number): OpenAiErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 500) return 'server_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/**
 * The error writer of every `/v1` path (set up in `app.ts`), route or not: OpenAI SDKs then raise their
 * typed errors and retry as they would against OpenAI. The request id is in the `X-Request-Id` header,
 * which the SDKs expose as `requestID`.
 */
export function sendOpenAiError(response: Response, error: DomainError): void {
  const { status, body, shouldRetry } = toOpenAiError(error);
  if (shouldRetry !== undefined) response.setHeader('x-should-retry', String(shouldRetry));
  sendJson(response, status, body);
}

/** Errors about the request itself, which name its offending fields or headers in `details.fields`. */
const FIELD_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([ErrorCode.ValidationFailed, ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType]);

function fieldsOf(error: DomainError): Record<string, string[]> | null {
  return FIELD_ERRORS.has(error.code) ? (error.details.fields as Record<string, string[]>) : null;
}

/** A 400 says every offending field in the message, since OpenAI's shape has room for one `param`. */
function messageOf(error: DomainError): string {
  const fields = fieldsOf(error);
  if (!fields) return error.message;
  return Object.entries(fields)
    .map(([field, messages]) => `${field}: ${messages.join('; ')}`)
    .join('. ');
}

function paramOf(error: DomainError): string | null {
  const fields = fieldsOf(error);
  if (fields) return Object.keys(fields)[0] ?? null;
  if (typeof error.details.param === 'string') return error.details.param;
  if (error.code === ErrorCode.ModelNotFound || error.code === ErrorCode.ModelCannotServe) return 'model';
  return null;
}
