import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { EphemeralRedis, waitUntil } from '../../scripts/lib/processes';
import { startTestApp, TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

/** Runs the real entry point (`src/main.ts`) with the given environment and collects its exit. */
async function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('boot', () => {
  it('refuses to start on a malformed variable, naming it', async () => {
    const { code, stderr } = await runMain({ PORT: 'eighty', DATABASE_URL: 'mysql://nope' });
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('PORT must be an integer');
    expect(stderr).toContain('DATABASE_URL must be a postgres: or postgresql: URL');
  });

  it('refuses to start in production without ENCRYPTION_KEY', async () => {
    const { code, stderr } = await runMain({ NODE_ENV: 'production' });
    expect(code).toBe(1);
    expect(stderr).toContain('ENCRYPTION_KEY is required when NODE_ENV=production');
  });
});

describe('GET /health', () => {
  let redis: EphemeralRedis;
  let service: TestApp;

  beforeAll(async () => {
    redis = await EphemeralRedis.start();
    service = await startTestApp({ REDIS_URL: redis.url });
  });

  afterAll(async () => {
    await service.close();
    await redis.stop();
  });

  const health = () => fetch(`${service.baseUrl}/health`);

  it('reports Postgres and Redis up with 200', async () => {
    const response = await health();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('answers 503 naming Redis while Redis is down, and 200 again once it is back', async () => {
    await redis.stop();
    const response = await health();
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; checks: { postgres: { status: string }; redis: { status: string } } };
    expect(body.status).toBe('error');
    expect(body.checks.postgres.status).toBe('up');
    expect(body.checks.redis.status).toBe('down');

    await redis.restart();
    await waitUntil(async () => (await health()).status === 200);
  });
});
