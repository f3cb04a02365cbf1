import type { Response } from 'express';

/**
 * Aborts when the client goes away before the response is complete, so provider work stops
 * with it. The response's `close` is the signal: the request's fires once its body is read.
 */
export function abortOnDisconnect(response: Response): AbortSignal {
  const controller = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
