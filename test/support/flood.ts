import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/**
 * An upstream that answers with more than a gateway should ever hold:
 * - `body`: a JSON answer that never ends;
 * - `line`: a stream whose first line (and so its first event) never ends;
 * - `lines`: a stream that never ends of short lines the client skips (SSE: comment events; NDJSON: blank lines).
 * It writes until the client hangs up, or gives up after `MAX_FLOOD_BYTES` (so a client that
 * reads everything fails its test instead of hanging it).
 */
export type Flood = 'body' | 'line' | 'lines';

const PIECE_BYTES = 64 * 1024;
const MAX_FLOOD_BYTES = 96 * 1024 * 1024;

export async function flood(res: ServerResponse, kind: Flood, protocol: 'sse' | 'ndjson'): Promise<void> {
  const stream = kind !== 'body';
  res.writeHead(200, { 'content-type': stream ? (protocol === 'sse' ? 'text/event-stream' : 'application/x-ndjson') : 'application/json' });
  const opening = kind === 'line' && protocol === 'sse' ? 'data: {"pad":"' : '{"pad":"';
  const piece =
    kind === 'lines' ? (protocol === 'sse' ? `:${' '.repeat(PIECE_BYTES - 3)}\n\n` : `${' '.repeat(PIECE_BYTES - 1)}\n`) : 'a'.repeat(PIECE_BYTES);
  if (kind !== 'lines') res.write(opening);
  const closed = once(res, 'close');
  for (let written = 0; written < MAX_FLOOD_BYTES && !res.destroyed; written += PIECE_BYTES) {
    if (!res.write(piece)) await Promise.race([once(res, 'drain'), closed]);
  }
  if (!res.destroyed) res.end();
}
