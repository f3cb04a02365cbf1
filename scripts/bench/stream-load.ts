import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LatencySummary, LoadOptions, LoadResult, summarize } from './load';

/**
 * Load for streamed answers (`"stream": true`), where what matters is the time to the first byte of
 * the body (the first SSE frame), which autocannon does not report. `connections` keep-alive
 * connections each send the next request when the previous stream has ended, for `durationMs`,
 * then finish the request in flight (as `runLoad` does).
 *
 * The result's `latency` is the time to first byte of 2xx answers; `total` the time to the end of
 * the stream. A small `node:http` client costs more CPU per request than autocannon, the same for
 * every target.
 */
export async function runStreamLoad(options: LoadOptions): Promise<LoadResult & { total: LatencySummary }> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const body = JSON.stringify(options.body);
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...options.headers };
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
      const req = request(options.url, { method: 'POST', agent, headers }, (res) => {
        res.on('data', () => {
          if (firstAt === 0) firstAt = performance.now();
        });
        res.on('end', () => {
          const endedAt = performance.now();
          lastResponseAt = endedAt;
          const status = res.statusCode ?? 0;
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          // A 2xx stream with an empty body counts as an error too.
          if (status >= 200 && status < 300 && firstAt > 0) {
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
    ok: firstByte.length,
    errors,
    statusCodes,
    rps: (answered * 1000) / elapsedMs,
    elapsedMs,
    latency: summarize(firstByte),
    total: summarize(total),
  };
}
