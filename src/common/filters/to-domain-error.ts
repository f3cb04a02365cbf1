import { HttpException, Logger } from '@nestjs/common';
import { DomainError, ValidationFailed } from '../errors/domain-error';
import { isDatabaseUnavailable } from '../errors/database-unavailable';
import { ErrorCode, HTTP_STATUS_OF } from '../errors/error-code';
import { fromBodyParserError } from '../http/json-body';

/**
 * The one mapping from whatever was thrown to the error the service answers with. Unexpected errors
 * are logged and become `internal_error` without their message, which may hold internals.
 */
export function toDomainError(exception: unknown, logger: Logger): DomainError {
  if (exception instanceof DomainError) return exception;
  if (exception instanceof HttpException) return fromHttpException(exception);
  const bodyParserError = fromBodyParserError(exception);
  if (bodyParserError) return bodyParserError;
  // Postgres could not be reached or dropped the connection: worth retrying shortly, without the driver's words.
  if (isDatabaseUnavailable(exception)) return new DomainError(ErrorCode.DatabaseUnavailable, 'The database is unavailable; retry shortly');

  logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return new DomainError(ErrorCode.Internal, 'Internal error');
}

/**
 * Nest's own exceptions: unknown routes (404) and, as 400s, bodies that are not JSON (Nest turns
 * the body parser's SyntaxError into a BadRequestException; our code throws only DomainErrors).
 */
function fromHttpException(exception: HttpException): DomainError {
  const status = exception.getStatus();
  if (status === 400) return new ValidationFailed({ body: [`must be valid JSON (${exception.message})`] });
  const code = (Object.keys(HTTP_STATUS_OF) as ErrorCode[]).find((c) => HTTP_STATUS_OF[c] === status) ?? ErrorCode.Internal;
  return new DomainError(code, exception.message);
}
