import type { Response } from 'express';

/** Request header of `/v1` and `/v1/messages`: seconds to keep the answer in the response cache (0: do not use it). */
export const CACHE_TTL_HEADER = 'X-Cache-TTL';

/** Response header of a request that used the response cache: `hit` or `miss`. */
export const CACHE_RESULT_HEADER = 'X-Cache';

/** Sets `X-Cache` once the cache has been asked: before a stream's first event, so streams carry it too. */
export function cacheResultHeader(response: Response): (result: 'hit' | 'miss') => void {
  return (result) => {
    if (!response.headersSent) response.setHeader(CACHE_RESULT_HEADER, result);
  };
}
