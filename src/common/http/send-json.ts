import type { Response } from 'express';

/**
 * Writes a JSON answer straight to Node's response, as Express's `res.json` would but without its
 * extra work per answer: parsing back the Content-Type it has just set, and hashing the body into
 * an ETag that no one revalidates a POST answer or an error with (docs/performance.md,
 * 2026-12-07). Node adds the Content-Length.
 */
export function sendJson(response: Response, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}
