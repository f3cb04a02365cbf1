import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { Observable, throwError } from 'rxjs';
import { DomainError, ValidationFailed } from '../errors/domain-error';
import { isDatabaseUnavailable } from '../errors/database-unavailable';
import { ErrorCode, HTTP_STATUS_OF, RETRY_AFTER_SECONDS } from '../errors/error-code';
import { requestIdOf } from '../http/request-id.middleware';

/**
 * The one place where failures become the SPEC's error shape: an HTTP response body for
 * HTTP requests, the `err` of Nest's reply for Redis commands. Unexpected errors are logged
 * and answered as `internal_error` without their message, which may hold internals; failures
 * of the service's own (a provider failed, no model was available) are logged as warnings.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    const error = this.toDomainError(exception);
    logServiceFailure(this.logger, error);
    if (host.getType() === 'rpc') return throwError(() => error.toBody().error);

    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) {
      response.end();
      return;
    }
    const requestId = requestIdOf(response);
    if (requestId !== undefined) error.details.request_id ??= requestId;
    setRetryAfter(response, error);
    response.status(HTTP_STATUS_OF[error.code]).json(error.toBody());
  }

  private toDomainError(exception: unknown): DomainError {
    if (exception instanceof DomainError) return exception;
    if (exception instanceof HttpException) return fromHttpException(exception);
    const bodyParserError = fromBodyParserError(exception);
    if (bodyParserError) return bodyParserError;
    if (isDatabaseUnavailable(exception)) return databaseUnavailable();

    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return new DomainError(ErrorCode.Internal, 'Internal error');
  }
}

/** Postgres could not be reached or dropped the connection: worth retrying shortly, without the driver's words. */
export function databaseUnavailable(): DomainError {
  return new DomainError(ErrorCode.DatabaseUnavailable, 'The database is unavailable; retry shortly');
}

/** `Retry-After` on errors worth retrying after a pause (503 database_unavailable, ...). */
export function setRetryAfter(response: Response, error: DomainError): void {
  const seconds = RETRY_AFTER_SECONDS[error.code];
  if (seconds !== undefined) response.setHeader('Retry-After', String(seconds));
}

/** A 5xx the service answers on purpose (502 provider_error, 503 no_model_available...) is worth an operator's look. */
export function logServiceFailure(logger: Logger, error: DomainError): void {
  if (HTTP_STATUS_OF[error.code] >= 500 && error.code !== ErrorCode.Internal) {
    logger.warn(error.message, { code: error.code, details: error.details });
  }
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

/** Express's body parser rejects an oversized body before any pipe runs; its error carries a `type`. */
function fromBodyParserError(exception: unknown): DomainError | null {
  if (typeof exception !== 'object' || exception === null || !('type' in exception)) return null;
  if (exception.type !== 'entity.too.large') return null;
  const limit = (exception as { limit?: number }).limit;
  return new DomainError(ErrorCode.PayloadTooLarge, 'Request body is too large', {
    fields: { body: [`must be at most ${limit} bytes`] },
    limit_bytes: limit,
  });
}
