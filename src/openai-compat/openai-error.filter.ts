import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ValidationFailed } from '../common/errors/domain-error';
import { ErrorCode, HTTP_STATUS_OF } from '../common/errors/error-code';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable';
import { databaseUnavailable, logServiceFailure } from '../common/filters/error.filter';
import { sendOpenAiError } from './openai-error';

/**
 * The `/v1` routes answer failures in OpenAI's error shape with our status codes, so OpenAI SDKs
 * raise their typed errors and retry as they would against OpenAI. The request id is in the
 * `X-Request-Id` header (set before anything can fail), which the SDKs expose as `requestID`.
 */
@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(OpenAiErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) {
      response.end();
      return;
    }
    const error = this.toDomainError(exception);
    logServiceFailure(this.logger, error);
    sendOpenAiError(response, error);
  }

  private toDomainError(exception: unknown): DomainError {
    if (exception instanceof DomainError) return exception;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 400) return new ValidationFailed({ body: [exception.message] });
      const code = (Object.keys(HTTP_STATUS_OF) as ErrorCode[]).find((c) => HTTP_STATUS_OF[c] === status) ?? ErrorCode.Internal;
      return new DomainError(code, exception.message);
    }
    if (isDatabaseUnavailable(exception)) return databaseUnavailable();
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return new DomainError(ErrorCode.Internal, 'Internal error');
  }
}
