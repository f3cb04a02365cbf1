import type { Response } from 'express';

/** Names, comma-separated and sorted, the request's hints that the answering provider did not get. */
export const IGNORED_PARAMS_HEADER = 'X-Ignored-Params';

/**
 * Sets (or clears) the header for the model about to be called. Once a stream's headers are out it
 * stays as sent: they went out naming what any candidate would ignore, which covers the model that answers.
 */
export function ignoredParamsHeader(response: Response): (names: string[]) => void {
  return (names) => {
    if (response.headersSent) return;
    if (names.length > 0) response.setHeader(IGNORED_PARAMS_HEADER, names.join(','));
    else response.removeHeader(IGNORED_PARAMS_HEADER);
  };
}
