import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { Observable, throwError } from 'rxjs';
import { DomainError, ValidationFailed } from '../errors/domain-error';
import { ErrorCode, HTTP_STATUS_OF } from '../errors/error-code';
import { fromBodyParserError } from '../http/json-body';
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
    response.status(HTTP_STATUS_OF[error.code]).json(error.toBody());
  }

  private toDomainError(exception: unknown): DomainError {
    if (exception instanceof DomainError) return exception;
    if (exception instanceof HttpException) return fromHttpException(exception);
    const bodyParserError = fromBodyParserError(exception);
    if (bodyParserError) return bodyParserError;

    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return new DomainError(ErrorCode.Internal, 'Internal error');
  }
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
