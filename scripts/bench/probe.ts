/**
 * Diagnostic preload for `npm run bench -- --profile` only (never for the measured runs), compiled
 * to JS by run.ts: `node -r bench-results/run/probe.js dist/src/main.js`.
 *
 * The first SIGWINCH starts a CPU profile (V8 sampling profiler through `node:inspector`) and
 * starts counting Postgres queries (with their round-trip time), Postgres pool waits and Redis
 * commands; the second SIGWINCH stops both and writes `service.cpuprofile` and `io-stats.json` to
 * BENCH_PROBE_DIR. With BENCH_PROBE_HEAP=1 it also samples allocations (freed objects included) into
 * `service.heapprofile`, at some cost to the CPU profile's accuracy. Only the measured window is
 * recorded, not the boot or the warm-up. (SIGWINCH,
 * whose default is to be ignored, because Nest's shutdown hooks treat SIGUSR1/2 as a shutdown.)
 */
import { Session } from 'node:inspector';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

interface Timing {
  count: number;
  totalMs: number;
}

export interface IoStats {
  queries: Record<string, Timing>;
  poolWaits: Timing & { maxMs: number };
  redisCommands: Record<string, number>;
}

type Callback = (error: unknown, result?: unknown) => void;
type QueryFn = (this: unknown, config: unknown, values?: unknown, callback?: unknown) => unknown;
type ConnectFn = (this: unknown, callback?: unknown) => unknown;
type SendCommandFn = (this: unknown, command: { name: string }, stream?: unknown) => unknown;

const directory = process.env.BENCH_PROBE_DIR ?? '.';
const samplingIntervalUs = Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 250);
const sampleHeap = process.env.BENCH_PROBE_HEAP === '1';
let recording = false;
let stats: IoStats = emptyStats();

function emptyStats(): IoStats {
  return { queries: {}, poolWaits: { count: 0, totalMs: 0, maxMs: 0 }, redisCommands: {} };
}

/** The statement's shape: first 90 characters of its whitespace-collapsed text. */
function statementOf(config: unknown): string {
  const text = typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '(submittable)');
  return text.replace(/\s+/g, ' ').trim().slice(0, 90);
}

function record(statement: string, startedAt: number): void {
  if (!recording) return;
  const entry = (stats.queries[statement] ??= { count: 0, totalMs: 0 });
  entry.count++;
  entry.totalMs += performance.now() - startedAt;
}

function instrumentPostgres(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as { Client: { prototype: { query: QueryFn } }; Pool: { prototype: { connect: ConnectFn } } };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, config: unknown, values?: unknown, callback?: unknown): unknown {
    const statement = statementOf(config);
    const startedAt = performance.now();
    const done = typeof values === 'function' ? values : callback;
    if (typeof done === 'function') {
      const timed: Callback = (error, result) => {
        record(statement, startedAt);
        (done as Callback)(error, result);
      };
      return typeof values === 'function' ? query.call(this, config, timed) : query.call(this, config, values, timed);
    }
    const result = query.call(this, config, values);
    if (result instanceof Promise) void result.then(() => record(statement, startedAt), () => record(statement, startedAt));
    return result;
  };

  const connect = pg.Pool.prototype.connect;
  pg.Pool.prototype.connect = function (this: unknown, callback?: unknown): unknown {
    const startedAt = performance.now();
    const waited = (): void => {
      if (!recording) return;
      const ms = performance.now() - startedAt;
      stats.poolWaits.count++;
      stats.poolWaits.totalMs += ms;
      stats.poolWaits.maxMs = Math.max(stats.poolWaits.maxMs, ms);
    };
    if (typeof callback === 'function') {
      return connect.call(this, (error: unknown, ...rest: unknown[]) => {
        waited();
        (callback as (...args: unknown[]) => void)(error, ...rest);
      });
    }
    const result = connect.call(this);
    if (result instanceof Promise) void result.then(waited, waited);
    return result;
  };
}

function instrumentRedis(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ioredis = require('ioredis') as { default: { prototype: { sendCommand: SendCommandFn } } };
  const sendCommand = ioredis.default.prototype.sendCommand;
  ioredis.default.prototype.sendCommand = function (this: unknown, command: { name: string }, stream?: unknown): unknown {
    if (recording) stats.redisCommands[command.name] = (stats.redisCommands[command.name] ?? 0) + 1;
    return sendCommand.call(this, command, stream);
  };
}

const session = new Session();

function writeAtomically(name: string, content: string): void {
  const path = join(directory, name);
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

function start(): void {
  stats = emptyStats();
  session.connect();
  session.post('Profiler.enable', () =>
    session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs }, () =>
      session.post('Profiler.start', () => {
        if (!sampleHeap) {
          recording = true;
          return;
        }
        // Without the two flags V8 keeps only samples of objects still alive: a request's garbage would not show.
        const sampling = { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
        session.post('HeapProfiler.startSampling', sampling as never, () => {
          recording = true;
        });
      }),
    ),
  );
}

function stop(): void {
  recording = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) {
      console.error(`probe: ${error.message}`);
      return;
    }
    const finish = () => {
      writeAtomically('io-stats.json', JSON.stringify(stats, null, 2));
      writeAtomically('service.cpuprofile', JSON.stringify(result.profile));
      session.disconnect();
    };
    if (!sampleHeap) return finish();
    session.post('HeapProfiler.stopSampling', (heapError, heap) => {
      if (heapError) console.error(`probe: ${heapError.message}`);
      else writeAtomically('service.heapprofile', JSON.stringify(heap.profile));
      finish();
    });
  });
}

instrumentPostgres();
instrumentRedis();
let profiling = false;
process.on('SIGWINCH', () => {
  profiling = !profiling;
  if (profiling) start();
  else stop();
});
