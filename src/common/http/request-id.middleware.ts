import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { ValidationFailed } from '../errors/domain-error';
import { assignRequestId } from '../logging/request-context';

export const REQUEST_ID_HEADER = 'X-Request-Id';
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The request id of an inference request, set by RequestIdMiddleware. */
export function requestIdOf(response: Response): string | undefined {
  return (response.locals as { requestId?: string }).requestId;
}

/**
 * Gives an inference request its id before anything else runs (SPEC 'Decisions'): the caller's
 * `X-Request-Id` when valid, else a new UUID; echoed in the response header, added by the
 * error filter to every error body of the request, and carried by every log line of the request.
 */
@Injectable()
export class RequestIdMiddleware implements NestMiddleware {
  use(request: Request, response: Response, next: NextFunction): void {
    const given = request.header(REQUEST_ID_HEADER);
    if (given !== undefined && !REQUEST_ID_PATTERN.test(given)) {
      throw new ValidationFailed({ [REQUEST_ID_HEADER]: ['must be 1-64 characters of A-Z, a-z, 0-9, _ and -'] });
    }
    const id = given ?? randomUUID();
    (response.locals as { requestId?: string }).requestId = id;
    response.setHeader(REQUEST_ID_HEADER, id);
    assignRequestId(id);
    next();
  }
}
