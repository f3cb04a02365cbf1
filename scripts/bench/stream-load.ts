import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LatencySummary, LoadOptions, LoadResult, summarize } from './load';

/**
 * Load for streamed answers (`"stream": true`), where what matters is how soon the answer starts,
 * which autocannon does not report. `connections` keep-alive connections each send the next request
 * when the previous stream has ended, for `durationMs`, then finish the request in flight (as
 * `runLoad` does).
 *
 * The result's `latency` is the time to the first token of 2xx answers (the first body byte at or
 * after which the upstream's first token has arrived): the time to first byte alone would flatter a
 * gateway that writes a frame of its own before calling the provider (`/api/models/chat` sends
 * `event: start` first). `firstByte` is that time to first byte, `total` the time to the stream's
 * end. A small `node:http` client costs more CPU per request than autocannon, the same for every
 * target.
 */
export async function runStreamLoad(
  options: LoadOptions & { firstToken: string },
): Promise<LoadResult & { firstByte: LatencySummary; total: LatencySummary }> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const body = JSON.stringify(options.body);
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...options.headers };
  const firstToken: number[] = [];
  const firstByte: number[] = [];
  const total: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let stopped = false;
  let lastResponseAt = 0;

  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const startedAt = performance.now();
      let firstAt = 0;
      let tokenAt = 0;
      let seen = '';
      const req = request(options.url, { method: 'POST', agent, headers }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (firstAt === 0) firstAt = performance.now();
          if (tokenAt !== 0) return;
          // The token may straddle two chunks: keep only what could hold its start.
          seen = (seen + chunk).slice(-(chunk.length + options.firstToken.length));
          if (seen.includes(options.firstToken)) tokenAt = performance.now();
        });
        res.on('end', () => {
          const endedAt = performance.now();
          lastResponseAt = endedAt;
          const status = res.statusCode ?? 0;
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          // A 2xx stream without the first token counts as an error too.
          if (status >= 200 && status < 300 && tokenAt > 0) {
            firstToken.push(tokenAt - startedAt);
            firstByte.push(firstAt - startedAt);
            total.push(endedAt - startedAt);
          } else {
            errors++;
          }
          resolve();
        });
        res.on('error', () => {
          errors++;
          resolve();
        });
      });
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });

  const startedAt = performance.now();
  const deadline = setTimeout(() => (stopped = true), options.durationMs);
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (!stopped) await one();
    }),
  );
  clearTimeout(deadline);
  agent.destroy();
  const elapsedMs = Math.max(1, lastResponseAt - startedAt);
  const answered = Object.values(statusCodes).reduce((sum, n) => sum + n, 0);
  return {
    ok: firstToken.length,
    errors,
    statusCodes,
    rps: (answered * 1000) / elapsedMs,
    elapsedMs,
    latency: summarize(firstToken),
    firstByte: summarize(firstByte),
    total: summarize(total),
  };
}
