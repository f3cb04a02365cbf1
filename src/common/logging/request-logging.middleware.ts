import type { NextFunction, Request, Response } from 'express';
import { performance } from 'node:perf_hooks';
import { IGNORED_PARAMS_HEADER } from '../http/ignored-params';
import { REQUEST_ID_PATTERN } from '../http/request-id.middleware';
import { AppLogger } from './app-logger';
import { RequestContext, runInRequestContext } from './request-context';

export const ACCESS_LOG_CONTEXT = 'HTTP';

/**
 * Installed before anything else (body parsing included): the rest of the request runs in a
 * RequestContext, so every line logged while it is handled, in any service or adapter, carries
 * its `request_id`: the caller's `X-Request-Id` when well-formed, else a UUID made the first time a
 * line needs it (an inference request settles it to its own id in RequestIdMiddleware). At level
 * `log` one access line is written per request when its response is done; below that level the
 * middleware only sets up the context.
 */
export function requestLogging(logger: AppLogger): (request: Request, response: Response, next: NextFunction) => void {
  return (request, response, next) => {
    const context = new RequestContext(givenRequestId(request));
    if (logger.isLevelEnabled('log')) logWhenDone(logger, context, request, response);
    runInRequestContext(context, next);
  };
}

function givenRequestId(request: Request): string | undefined {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : undefined;
}

function logWhenDone(logger: AppLogger, context: RequestContext, request: Request, response: Response): void {
  const started = performance.now();
  response.once('close', () => {
    const finished = response.writableFinished;
    logger.log(
      finished ? 'request completed' : 'request aborted',
      {
        request_id: context.requestId,
        method: request.method,
        path: withoutQuery(request.originalUrl),
        status: response.statusCode,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        ...ignoredParams(response),
        ...(finished ? {} : { aborted: true }),
      },
      ACCESS_LOG_CONTEXT,
    );
  });
}

/** Hints the provider did not get (see IGNORED_PARAMS_HEADER), so the line says what the answer did not take into account. */
function ignoredParams(response: Response): { ignored_params?: string } {
  const header = response.getHeader(IGNORED_PARAMS_HEADER);
  return typeof header === 'string' ? { ignored_params: header } : {};
}

/** Query strings can carry anything, secrets included; the path is enough to know the route. */
function withoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
