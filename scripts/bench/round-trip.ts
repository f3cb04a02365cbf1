import { Pool } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { DEFAULT_DATABASE_URL } from './service';
import { numberOption, option } from './options';

/**
 * What one Postgres statement costs on this machine with nothing of the service around it: a
 * round trip (`SELECT 1`), an insert whose commit does not wait for the disk (the request's
 * `running` row) and a durable one (its outcome), each sent back to back and after the connection
 * sat idle for a few milliseconds, as it does between requests at low load. The idle cases are the
 * floor of what the request path's two statements add at c1 and c10 (docs/performance.md).
 * Run: `npx ts-node --transpile-only scripts/bench/round-trip.ts [--database-url <url>] [--count 200] [--idle-ms 10]`.
 */

const DATABASE_URL = option('--database-url') ?? DEFAULT_DATABASE_URL;
const COUNT = numberOption('--count', 200);
const IDLE_MS = numberOption('--idle-ms', 10);
const TABLE = 'bench_round_trip';

async function timings(pool: Pool, idleMs: number, sql: string, params: unknown[]): Promise<number[]> {
  const taken: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    if (idleMs > 0) await sleep(idleMs);
    const started = performance.now();
    await pool.query(sql, params);
    taken.push(performance.now() - started);
  }
  return taken.sort((a, b) => a - b);
}

const at = (sorted: number[], share: number): string => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))].toFixed(3);

async function main(): Promise<void> {
  const durable = new Pool({ connectionString: DATABASE_URL, max: 1 });
  const unflushed = new Pool({ connectionString: DATABASE_URL, max: 1, options: '-c synchronous_commit=off' });
  await durable.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id bigserial PRIMARY KEY, body text NOT NULL)`);
  const cases: [string, Pool, string][] = [
    ['round trip (SELECT 1)', durable, 'SELECT 1'],
    ['insert, commit not flushed', unflushed, `INSERT INTO ${TABLE} (body) VALUES ($1)`],
    ['insert, durable commit', durable, `INSERT INTO ${TABLE} (body) VALUES ($1)`],
  ];
  try {
    console.log(`${COUNT} statements per case, one connection, ${new URL(DATABASE_URL).host}; ms`);
    console.log(['statement'.padEnd(28), 'back to back p50', 'p90', `after ${IDLE_MS} ms idle p50`, 'p90'].join('  '));
    for (const [name, pool, sql] of cases) {
      const params = sql.includes('$1') ? ['hello'] : [];
      const busy = await timings(pool, 0, sql, params);
      const idle = await timings(pool, IDLE_MS, sql, params);
      console.log([name.padEnd(28), at(busy, 0.5).padStart(16), at(busy, 0.9).padStart(5), at(idle, 0.5).padStart(22), at(idle, 0.9).padStart(5)].join('  '));
    }
  } finally {
    await durable.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await Promise.all([durable.end(), unflushed.end()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
