import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, run, Spawned, spawnLogged, spawnReporting, waitUntilHealthy } from '../lib/processes';

/** The repository root (scripts/bench/..). */
export const ROOT = join(__dirname, '..', '..');
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/model_orchestration_bench';

const bin = (name: string): string => join(ROOT, 'node_modules', '.bin', name);

/** Only what the service needs: a developer's provider keys or ./models must not change what is measured. */
function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return env;
}

/** The benchmark's provider (`fake-upstream.ts`) in a process of its own, on a port the system picks. */
export async function startFakeUpstream(): Promise<{ url: string; spawned: Spawned }> {
  const { ready, spawned } = await spawnReporting<{ url: string }>(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'scripts/bench/fake-upstream.ts', '--port', '0'],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: 'true' } },
  );
  return { url: ready.url, spawned };
}

/** `nest build`: the production JS in dist/ (dist/src/main.js, dist/migrations). */
export function build(): Promise<void> {
  return run(bin('nest'), ['build'], { cwd: ROOT });
}

/** Creates the bench database when missing and applies the migrations from dist/. */
export async function prepareDatabase(databaseUrl: string): Promise<void> {
  const env = { ...baseEnvironment(), DATABASE_URL: databaseUrl };
  await run(bin('ts-node'), ['--transpile-only', 'src/database/create-database.ts'], { cwd: ROOT, env });
  await run(process.execPath, ['node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/database/data-source.js'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export interface ServiceOptions {
  databaseUrl: string;
  redisUrl: string;
  workDir: string;
  /** Extra `node` arguments, e.g. a preload for profiling. */
  nodeArgs?: string[];
  extraEnv?: Record<string, string>;
}

export interface RunningService {
  url: string;
  adminToken: string;
  pid: number | undefined;
  logFile: string;
  spawned: Spawned;
}

/** The V8 flags production runs the service with (package.json `serviceNodeFlags`, as scripts/start.sh and the image use them). */
export function serviceNodeFlags(): string[] {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { serviceNodeFlags: string[] }).serviceNodeFlags;
}

/** Starts `node <serviceNodeFlags> dist/src/main.js` in production mode and waits until /health answers 200. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const port = await freePort();
  const adminToken = randomBytes(24).toString('hex');
  const modelsDir = join(options.workDir, 'models');
  mkdirSync(modelsDir, { recursive: true });
  const logFile = join(options.workDir, 'service.log');
  const env = {
    ...baseEnvironment(),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: `bench-${process.pid}`,
    ADMIN_TOKEN: adminToken,
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    MODELS_DIR: modelsDir,
    LOCAL_MODEL_PATH: 'none',
    ...options.extraEnv,
  };
  const spawned = spawnLogged(process.execPath, [...serviceNodeFlags(), ...(options.nodeArgs ?? []), 'dist/src/main.js'], { cwd: ROOT, env, logFile });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(url, spawned.child, 60_000);
  } catch (error) {
    await spawned.stop();
    throw new Error(`the service did not start: ${error instanceof Error ? error.message : String(error)}; log: ${logFile}`);
  }
  return { url, adminToken, pid: spawned.child.pid, logFile, spawned };
}

/** Registers an OpenAI-protocol model served by the fake upstream, through the admin API. */
export async function registerModel(
  service: RunningService,
  model: { id: string; apiUrl: string; quality: number },
): Promise<void> {
  const response = await fetch(`${service.url}/api/admin/models`, {
    method: 'POST',
    headers: { authorization: `Bearer ${service.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model_id: model.id,
      provider: 'openai',
      capabilities: ['chat'],
      configuration: { api_url: model.apiUrl, api_key: `sk-bench-${randomBytes(8).toString('hex')}` },
      properties: { context_length: 8192, token_limit: 1024, pricing: { input: 0.00015, output: 0.0006 } },
      performance_baseline: { quality_score: model.quality },
    }),
  });
  if (response.status !== 200) throw new Error(`registering ${model.id} answered ${response.status}: ${await response.text()}`);
}

export interface PersistedCounts {
  /** inference_requests rows by status. */
  requests: Record<string, number>;
  /** Completed requests by the model that answered them (routing's choices in the routed scenario). */
  byModel: Record<string, number>;
  outboxEvents: number;
  outboxPending: number;
}

/** Direct SQL on the bench database, for exact row counts between scenarios. */
export class BenchDatabase {
  private constructor(private readonly client: Client) {}

  static async connect(databaseUrl: string): Promise<BenchDatabase> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    return new BenchDatabase(client);
  }

  /**
   * Before the service starts: empties every table but the registry and the migration log (requests,
   * events, scores, feedback, whatever later migrations add), so each benchmark starts from the same state.
   */
  async resetState(): Promise<void> {
    const { rows } = await this.client.query<{ name: string }>(
      `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('models', 'migrations')`,
    );
    if (rows.length > 0) await this.client.query(`TRUNCATE ${rows.map((r) => r.name).join(', ')} CASCADE`);
  }

  /** Empties the request and event tables (and whatever references requests, e.g. feedback) so each run's counts are exact. */
  async truncate(): Promise<void> {
    await this.client.query('TRUNCATE inference_requests, outbox_events CASCADE');
  }

  async outboxPending(): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL');
    return rows[0].n;
  }

  async counts(): Promise<PersistedCounts> {
    const byStatus = await this.client.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM inference_requests GROUP BY status ORDER BY status',
    );
    const byModel = await this.client.query<{ model_id: string; n: number }>(
      `SELECT model_id, count(*)::int AS n FROM inference_requests WHERE status = 'completed' GROUP BY model_id ORDER BY model_id`,
    );
    const outbox = await this.client.query<{ total: number; pending: number }>(
      'SELECT count(*)::int AS total, (count(*) FILTER (WHERE published_at IS NULL))::int AS pending FROM outbox_events',
    );
    return {
      requests: Object.fromEntries(byStatus.rows.map((row) => [row.status, row.n])),
      byModel: Object.fromEntries(byModel.rows.map((row) => [row.model_id, row.n])),
      outboxEvents: outbox.rows[0].total,
      outboxPending: outbox.rows[0].pending,
    };
  }

  /** Backends on the bench database and Postgres's own background processes (WAL writer, checkpointer, ...). */
  async postgresPids(): Promise<number[]> {
    const { rows } = await this.client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL',
    );
    return rows.map((row) => row.pid);
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
