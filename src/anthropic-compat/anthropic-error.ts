import type { Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode, HTTP_STATUS_OF } from '../common/errors/error-code';
import { requestIdOf } from '../common/http/request-id.middleware';
import { toOpenAiError } from '../openai-compat/openai-error';
import { sendJson } from '../common/http/send-json';

/**
 * Errors under `/v1/messages` in Anthropic's shape, `{"type": "error", "error": {"type", "message"}}`,
 * with its status codes: the service's 503s (no model available, database unavailable) are 529
 * `overloaded_error`, which Anthropic's SDKs and Claude Code treat as "retry later". The message
 * names the offending fields as on `/v1`.
 */

export const ANTHROPIC_REQUEST_ID_HEADER = 'request-id';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

/** Statuses Anthropic's API uses for what the service answers otherwise. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.NoModelAvailable]: 529,
  [ErrorCode.DatabaseUnavailable]: 529,
  [ErrorCode.UnsupportedMediaType]: 400,
};

export function toAnthropicError(error: DomainError): { status: number; body: AnthropicErrorBody } {
  const status = STATUS[error.code] ?? HTTP_STATUS_OF[error.code];
  const type = TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { status, body: { type: 'error', error: { type, message: toOpenAiError(error).body.error.message } } };
}

/** The error filter's writer for `/v1/messages`. */
export function sendAnthropicError(response: Response, error: DomainError): void {
  const requestId = requestIdOf(response);
  if (requestId !== undefined) response.setHeader(ANTHROPIC_REQUEST_ID_HEADER, requestId);
  const { status, body } = toAnthropicError(error);
  sendJson(response, status, body);
}
