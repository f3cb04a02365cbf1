import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { registerModelAt } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { freePort, waitUntil } from '../support/redis-server';
import { ADMIN_TOKEN, TestDatabase } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

describe('graceful shutdown on SIGTERM', () => {
  let db: TestDatabase;
  let openai: FakeServer;
  let service: ChildProcess;
  let baseUrl: string;
  let output = '';

  beforeAll(async () => {
    db = await TestDatabase.create();
    await db.migrate();
    openai = await startFakeOpenAi();
    openai.behave('quick-enough', { delayMs: 600 });
    openai.behave('too-slow', { delayMs: 60_000 });
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    service = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: db.url,
        PORT: String(port),
        REDIS_KEY_PREFIX: db.name,
        ADMIN_TOKEN,
        SHUTDOWN_GRACE_MS: '1500',
        // The 'draining' line tells the test when the signal has been handled.
        LOG_LEVEL: 'log',
        MODELS_DIR: join(db.name, 'none'),
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    service.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitUntil(async () => (await fetch(`${baseUrl}/health`).catch(() => null))?.status === 200, 30_000, 200);
    for (const model_id of ['quick-enough', 'too-slow']) {
      await registerModelAt(baseUrl, { model_id, provider: 'openai', capabilities: ['chat'], api_url: openai.url });
    }
  }, 60_000);

  afterAll(async () => {
    if (service.exitCode === null) service.kill('SIGKILL');
    await openai.close();
    await db.drop();
  });

  it('lets running requests finish, cancels those past the grace period, records every outcome and exits 0', async () => {
    const chat = (model: string, id: string) =>
      request(baseUrl, 'POST', '/api/models/chat', {
        body: { model_id: model, fallback: false, messages: [{ role: 'user', content: 'hi' }] },
        headers: { 'X-Request-Id': id },
      });
    const quick = [1, 2, 3, 4].map((i) => chat('quick-enough', `req-quick-${i}`));
    const slow = [1, 2].map((i) => chat('too-slow', `req-slow-${i}`));
    const sql = await db.dataSource().initialize();
    try {
      await waitUntil(async () => (await sql.query(`SELECT count(*)::int AS n FROM inference_requests WHERE status = 'running'`))[0].n === 6);

      const exited = once(service, 'exit');
      service.kill('SIGTERM');
      await waitUntil(() => output.includes('SIGTERM: draining'));
      const late = await chat('quick-enough', 'req-after-sigterm').catch(() => null);
      if (late) expect(late.status).toBe(503);

      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);

      for (const response of await Promise.all(quick)) expect(response.body.metadata.finish_reason).toBe('stop');
      for (const response of await Promise.all(slow)) expect(response.body.metadata.finish_reason).toBe('cancelled');
      const rows: { status: string; n: number }[] = await sql.query(`SELECT status, count(*)::int AS n FROM inference_requests GROUP BY status ORDER BY status`);
      expect(rows).toEqual([
        { status: 'cancelled', n: 2 },
        { status: 'completed', n: 4 },
      ]);
      const [{ pending }] = await sql.query(`SELECT count(*)::int AS pending FROM outbox_events WHERE published_at IS NULL`);
      expect(pending).toBe(0);
    } finally {
      await sql.destroy();
    }
  }, 60_000);
});
