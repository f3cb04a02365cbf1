import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EphemeralRedis, stopAll } from '../lib/processes';
import { cpuMsOf } from './cpu';
import { runLoad } from './load';
import { numberOption } from './options';
import { BenchDatabase, build, DEFAULT_DATABASE_URL, prepareDatabase, registerModel, ROOT, startFakeUpstream, startService } from './service';

/**
 * The gateway's CPU per request on `/v1/chat/completions` and on `/api/models/chat`, compared in
 * one service process: the two paths take turns in short blocks (the order swapping every round),
 * so drift of the machine's speed over minutes, which on a shared VM is larger than the difference
 * sought, falls on both alike. Prints each block and each path's median.
 * Run: `npx ts-node --transpile-only scripts/bench/paths.ts [--rounds 8] [--seconds 3] [--latency-ms 50] [--connections 100]`
 * (builds dist/ first; uses the bench database and a redis-server of its own).
 */

const ROUNDS = numberOption('--rounds', 8);
const SECONDS = numberOption('--seconds', 3);
const LATENCY_MS = numberOption('--latency-ms', 50);
const CONNECTIONS = numberOption('--connections', 100);
/** After a block, for the work its requests leave behind (the event relay, the score fold) to be counted with it. */
const SETTLE_MS = 300;
const MODEL = 'bench-paths';
const MESSAGES = [{ role: 'user', content: 'hello' }];

async function main(): Promise<void> {
  const workDir = join(ROOT, 'bench-results', 'paths');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  await build();
  await prepareDatabase(DEFAULT_DATABASE_URL);
  const db = await BenchDatabase.connect(DEFAULT_DATABASE_URL);
  await db.resetState();
  await db.close();
  const redis = await EphemeralRedis.start();
  try {
    const upstream = await startFakeUpstream();
    const service = await startService({
      databaseUrl: DEFAULT_DATABASE_URL,
      redisUrl: redis.url,
      workDir,
      extraEnv: { ENCRYPTION_KEY: randomBytes(32).toString('hex') },
    });
    await registerModel(service, { id: MODEL, apiUrl: `${upstream.url}/latency/${LATENCY_MS}/v1`, quality: 0.9 });
    const paths = {
      v1: { url: `${service.url}/v1/chat/completions`, body: { model: MODEL, messages: MESSAGES, max_tokens: 16 } },
      api: { url: `${service.url}/api/models/chat`, body: { model_id: MODEL, messages: MESSAGES, max_tokens: 16 } },
    };
    const perRequest: Record<keyof typeof paths, number[]> = { v1: [], api: [] };

    // Warm-up (JIT, Postgres's plans), unmeasured.
    for (const name of ['v1', 'api'] as const) await runLoad({ ...paths[name], connections: CONNECTIONS, durationMs: 3000 });
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 === 0 ? (['v1', 'api'] as const) : (['api', 'v1'] as const)) {
        const before = cpuMsOf(service.pid!)!;
        const result = await runLoad({ ...paths[name], connections: CONNECTIONS, durationMs: SECONDS * 1000 });
        await sleep(SETTLE_MS);
        const requests = result.ok + result.errors;
        const cpuMs = (cpuMsOf(service.pid!)! - before) / requests;
        perRequest[name].push(cpuMs);
        console.log(`round ${round} ${name}: ${requests} requests (${result.errors} errors), ${cpuMs.toFixed(3)} ms CPU each, p50 ${result.latency.p50.toFixed(2)} ms`);
      }
    }
    for (const name of ['v1', 'api'] as const) console.log(`${name}: median ${median(perRequest[name]).toFixed(3)} ms of gateway CPU per request`);
  } finally {
    await stopAll();
    await redis.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
