import { waitUntil } from '../../scripts/lib/processes';
import { registerModelAt } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ServiceProcess } from '../support/service-process';
import { TestDatabase } from '../support/test-app';

describe('graceful shutdown on SIGTERM', () => {
  let db: TestDatabase;
  let openai: FakeServer;
  let service: ServiceProcess;

  beforeAll(async () => {
    db = await TestDatabase.create();
    await db.migrate();
    openai = await startFakeOpenAi();
    openai.behave('quick-enough', { delayMs: 600 });
    openai.behave('too-slow', { delayMs: 60_000 });
    // LOG_LEVEL log: the 'draining' line tells the test when the signal has been handled.
    service = await ServiceProcess.start(db, { SHUTDOWN_GRACE_MS: '1500', LOG_LEVEL: 'log' });
    for (const model_id of ['quick-enough', 'too-slow']) {
      await registerModelAt(service.baseUrl, { model_id, provider: 'openai', capabilities: ['chat'], api_url: openai.url });
    }
  }, 60_000);

  afterAll(async () => {
    service.kill();
    await openai.close();
    await db.drop();
  });

  it('lets running requests finish, cancels those past the grace period, records every outcome and exits 0', async () => {
    const chat = (model: string, id: string) =>
      request(service.baseUrl, 'POST', '/api/models/chat', {
        body: { model_id: model, fallback: false, messages: [{ role: 'user', content: 'hi' }] },
        headers: { 'X-Request-Id': id },
      });
    const quick = [1, 2, 3, 4].map((i) => chat('quick-enough', `req-quick-${i}`));
    const slow = [1, 2].map((i) => chat('too-slow', `req-slow-${i}`));
    const sql = await db.dataSource().initialize();
    try {
      await waitUntil(async () => (await sql.query(`SELECT count(*)::int AS n FROM inference_requests WHERE status = 'running'`))[0].n === 6);

      const exited = service.exited();
      service.signal('SIGTERM');
      await waitUntil(() => service.stdout.includes('SIGTERM: draining'));
      const late = await chat('quick-enough', 'req-after-sigterm').catch(() => null);
      if (late) expect(late.status).toBe(503);

      expect(await exited).toBe(0);

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
