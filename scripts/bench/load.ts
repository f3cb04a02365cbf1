import autocannon, { AutocannonClient, AutocannonResult } from 'autocannon';
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

export interface LoadResult {
  /** 2xx responses. */
  ok: number;
  /** Non-2xx responses, connection errors and timeouts. */
  errors: number;
  statusCodes: Record<string, number>;
  /** Responses (any status) per second over the run, from the first request to the last response. */
  rps: number;
  elapsedMs: number;
  /** Milliseconds, of 2xx responses, at microsecond resolution. */
  latency: LatencySummary;
}

/**
 * Drives `connections` keep-alive connections at the URL (each sends its next request as soon as
 * the previous answer arrives) for `durationMs`, then ends gracefully: every connection finishes
 * the request it has in flight and stops, so no request is cut off and every request the
 * generator counts is one the service answered.
 *
 * autocannon (raw sockets, one prebuilt request buffer) keeps the generator's own cost low; its
 * latency histogram rounds to whole milliseconds, so latencies are recorded here from its
 * per-response times, which have microsecond resolution.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const clients: AutocannonClient[] = [];
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let lastResponseAt = 0;
  let requestErrors = 0;

  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const tracker = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(options.body),
        connections: options.connections,
        // Ended by the deadline below; this only bounds a run that cannot end gracefully.
        duration: options.durationMs / 1000 + 60,
        timeout: 30,
        sampleInt: 100,
        setupClient: (client) => {
          clients.push(client);
        },
      },
      (error: Error | null, result: AutocannonResult) => {
        clearTimeout(deadline);
        clearTimeout(hardStop);
        if (error) return reject(error);
        const elapsedMs = Math.max(1, lastResponseAt - startedAt);
        const answered = Object.values(statusCodes).reduce((sum, n) => sum + n, 0);
        const ok = latencies.length;
        resolve({
          ok,
          errors: answered - ok + Math.max(requestErrors, result.errors),
          statusCodes,
          rps: (answered * 1000) / elapsedMs,
          elapsedMs,
          latency: summarize(latencies),
        });
      },
    );

    tracker.on('response', (_client: AutocannonClient, statusCode: number, _bytes: number, responseTimeMs: number) => {
      lastResponseAt = performance.now();
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTimeMs);
    });
    tracker.on('reqError', () => requestErrors++);

    // Each connection stops after the answer to the request it has in flight.
    const deadline = setTimeout(() => {
      for (const client of clients) client.responseMax = Math.max(1, client.reqsMade);
    }, options.durationMs);
    const hardStop = setTimeout(() => tracker.stop(), options.durationMs + 45_000);
  });
}

export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: NaN, p90: NaN, p99: NaN, mean: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  const sum = sorted.reduce((total, v) => total + v, 0);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean: sum / sorted.length, max: sorted[sorted.length - 1] };
}
