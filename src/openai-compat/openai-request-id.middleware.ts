import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import { RequestIdMiddleware } from '../common/http/request-id.middleware';
import { sendOpenAiError } from './openai-error';

/**
 * The shared request id (caller's `X-Request-Id` or a new UUID, echoed in the header), with a
 * malformed id refused in OpenAI's error shape: middleware runs before the route's filter.
 */
@Injectable()
export class OpenAiRequestIdMiddleware implements NestMiddleware {
  private readonly requestIds = new RequestIdMiddleware();

  use(request: Request, response: Response, next: NextFunction): void {
    try {
      this.requestIds.use(request, response, next);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      sendOpenAiError(response, error);
    }
  }
}
