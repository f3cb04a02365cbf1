import { waitUntil } from '../../scripts/lib/processes';
import { EventName } from '../../src/events/event-contracts';
import { EphemeralPostgres } from '../support/ephemeral-postgres';
import { EventListener } from '../support/event-listener';
import { registerModelAt } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ServiceProcess } from '../support/service-process';
import { TestDatabase } from '../support/test-app';

const CLIENTS = 20;
/** After Postgres is back, every request started later than this must succeed. */
const RECOVERY_MS = 1000;

interface Outcome {
  id: string;
  startedAt: number;
  status: number;
  code?: string;
  retryAfter: string | null;
}

/**
 * A managed database's failover or maintenance restarts Postgres under the service: every
 * connection is terminated (57P01). The process must stay up, answer 503 `database_unavailable`
 * while the database is away, succeed again within a second of it coming back, and never answer
 * 200 for an outcome it did not record.
 */
describe('Postgres restarting under load', () => {
  let pg: EphemeralPostgres;
  let db: TestDatabase;
  let openai: FakeServer;
  let service: ServiceProcess;
  let events: EventListener;

  beforeAll(async () => {
    pg = await EphemeralPostgres.start();
    db = await TestDatabase.create(pg.url());
    await db.migrate();
    openai = await startFakeOpenAi();
    openai.behave('steady', { delayMs: 20 });
    service = await ServiceProcess.start(db, { DATABASE_POOL_SIZE: '10' });
    await registerModelAt(service.baseUrl, { model_id: 'steady', provider: 'openai', capabilities: ['chat'], api_url: openai.url });
    events = await EventListener.start(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', [EventName.RequestCompleted, EventName.RequestFailed]);
  }, 60_000);

  afterAll(async () => {
    service?.kill();
    await events?.close();
    await openai?.close();
    await pg?.destroy();
  });

  it('stays up, answers 503 only during the blip, recovers within a second, and records every 200', async () => {
    const outcomes: Outcome[] = [];
    let running = true;
    const client = async (c: number) => {
      for (let n = 0; running; n++) {
        const id = `${db.name}-${c}-${n}`;
        const startedAt = Date.now();
        const response = await request(service.baseUrl, 'POST', '/api/models/chat', {
          headers: { 'X-Request-Id': id },
          body: { model_id: 'steady', messages: [{ role: 'user', content: `hello ${n}` }] },
        }).catch(() => null);
        outcomes.push({
          id,
          startedAt,
          status: response?.status ?? 0,
          code: response?.body?.error?.code,
          retryAfter: response?.headers.get('retry-after') ?? null,
        });
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));

    await waitUntil(() => outcomes.length >= 100, 30_000);
    await pg.restart();
    const backAt = Date.now();
    await waitUntil(() => outcomes.filter((o) => o.startedAt > backAt + RECOVERY_MS).length >= 200, 30_000);
    running = false;
    await Promise.all(clients);

    expect({ exitCode: service.exitCode, stderr: service.stderr }).toEqual({ exitCode: null, stderr: '' });
    expect((await request(service.baseUrl, 'GET', '/health')).status).toBe(200);

    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    console.log(`postgres restart under load: ${JSON.stringify(Object.fromEntries(byStatus))}`);
    expect([...byStatus.keys()].filter((status) => status !== 200 && status !== 503)).toEqual([]);
    for (const o of outcomes.filter((o) => o.status === 503)) {
      expect({ code: o.code, retryAfter: o.retryAfter }).toEqual({ code: 'database_unavailable', retryAfter: expect.stringMatching(/^\d+$/) });
    }
    expect(outcomes.filter((o) => o.startedAt > backAt + RECOVERY_MS && o.status !== 200)).toEqual([]);

    const answered = outcomes.filter((o) => o.status === 200).map((o) => o.id);
    const sql = await db.dataSource().initialize();
    try {
      const rows: { id: string; status: string }[] = await sql.query(`SELECT id, status FROM inference_requests WHERE id = ANY($1)`, [answered]);
      expect(rows.filter((r) => r.status === 'completed').length).toBe(answered.length);
    } finally {
      await sql.destroy();
    }
    await waitUntil(() => {
      const published = new Set(events.events(EventName.RequestCompleted, (e) => e.request_id.startsWith(db.name)).map((e) => e.request_id));
      return answered.every((id) => published.has(id));
    }, 15_000);
  }, 120_000);
});
