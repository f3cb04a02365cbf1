import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable, throwError } from 'rxjs';
import { DomainError } from '../errors/domain-error';
import { ErrorCode, HTTP_STATUS_OF, RETRY_AFTER_SECONDS } from '../errors/error-code';
import { requestIdOf } from '../http/request-id.middleware';
import { toDomainError } from './to-domain-error';
import { sendJson } from '../http/send-json';

/** Writes an error as the HTTP response, in the shape a family of routes promises. */
export type ErrorWriter = (response: Response, error: DomainError) => void;

/**
 * The one place where failures become error answers: the `err` of Nest's reply for Redis commands;
 * for HTTP, the SPEC's shape, or the shape of the writer configured for the request's path prefix
 * (`/v1` answers in OpenAI's). Being global, it also answers what fails before a route is known: body
 * parsing, middleware, unknown routes. Failures of the service's own (a provider failed, no model
 * was available) are logged as warnings.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorFilter.name);

  constructor(private readonly writersByPathPrefix: Readonly<Record<string, ErrorWriter>> = {}) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    const error = toDomainError(exception, this.logger);
    logServiceFailure(this.logger, error);
    if (host.getType() === 'rpc') return throwError(() => error.toBody().error);

    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    if (response.headersSent) {
      response.end();
      return;
    }
    // Whatever the shape, an error worth retrying after a pause says how long (503 database_unavailable...).
    const retryAfter = retryAfterOf(error);
    if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
    this.writerFor(http.getRequest<Request>())(response, error);
  }

  /** By `originalUrl` (inside middleware mounted on a path, `path` is relative to the mount); the longest prefix wins. */
  private writerFor(request: Request): ErrorWriter {
    const path = request.originalUrl.split('?', 1)[0];
    const prefix = Object.keys(this.writersByPathPrefix)
      .sort((a, b) => b.length - a.length)
      .find((p) => path === p || path.startsWith(`${p}/`));
    return prefix === undefined ? writeSpecError : this.writersByPathPrefix[prefix];
  }
}

/** `{ "error": { "code", "message", "details" } }`, with the request id of an inference request in `details`. */
function writeSpecError(response: Response, error: DomainError): void {
  const requestId = requestIdOf(response);
  if (requestId !== undefined) error.details.request_id ??= requestId;
  sendJson(response, HTTP_STATUS_OF[error.code], error.toBody());
}

/** A 5xx the service answers on purpose (502 provider_error, 503 no_model_available...) is worth an operator's look. */
function logServiceFailure(logger: Logger, error: DomainError): void {
  if (HTTP_STATUS_OF[error.code] >= 500 && error.code !== ErrorCode.Internal) {
    logger.warn(error.message, { code: error.code, details: error.details });
  }
}

function retryAfterOf(error: DomainError): number | undefined {
  const own = error.details.retry_after_seconds;
  return typeof own === 'number' ? Math.max(1, Math.ceil(own)) : RETRY_AFTER_SECONDS[error.code];
}
