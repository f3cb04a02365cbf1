import { DataSource } from 'typeorm';
import { waitUntil } from '../../scripts/lib/processes';
import { EventName } from '../../src/events/event-contracts';
import { EventListener } from '../support/event-listener';
import { registerModelAt } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ServiceProcess } from '../support/service-process';
import { TestDatabase } from '../support/test-app';

const LEASE_SECONDS = 2;
/** A dead instance's lease runs out after LEASE_SECONDS; live instances look every third of it. Slack for a busy machine. */
const RECLAIM_WITHIN_MS = LEASE_SECONDS * 1000 + (LEASE_SECONDS * 1000) / 3 + 3000;

interface Row {
  id: string;
  status: string;
  error: { code: string; details: { instance_id: string | null } } | null;
}

/**
 * A process that dies (SIGKILL, OOM, a lost node) leaves its requests `running` and may hold a
 * queued job. Another instance must finalize them as failed with code `interrupted`, publish
 * their `model.request.failed` event, and never finalize one twice, even when several instances
 * race for them.
 */
describe('requests left behind by a dead instance', () => {
  let db: TestDatabase;
  let sql: DataSource;
  let openai: FakeServer;
  let events: EventListener;
  const services: ServiceProcess[] = [];
  const env = { INSTANCE_LEASE_SECONDS: String(LEASE_SECONDS), ASYNC_CONCURRENCY: '1' };

  const start = async () => {
    const service = await ServiceProcess.start(db, env);
    services.push(service);
    return service;
  };
  const rowsOf = async (ids: string[]): Promise<Row[]> => sql.query(`SELECT id, status, error FROM inference_requests WHERE id = ANY($1) ORDER BY id`, [ids]);
  const hang = (service: ServiceProcess, id: string, headers: Record<string, string> = {}) =>
    request(service.baseUrl, 'POST', '/api/models/chat', {
      headers: { 'X-Request-Id': id, ...headers },
      body: { model_id: 'hangs', messages: [{ role: 'user', content: 'wait for it' }] },
    }).catch(() => null);
  const interruptedEvents = (id: string) => events.events(EventName.RequestFailed, (e) => e.request_id === id && e.error.code === 'interrupted');

  beforeAll(async () => {
    db = await TestDatabase.create();
    await db.migrate();
    sql = await db.dataSource().initialize();
    openai = await startFakeOpenAi();
    openai.behave('hangs', { delayMs: 120_000 });
    events = await EventListener.start(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', [EventName.RequestFailed, EventName.RequestCompleted]);
  }, 60_000);

  afterAll(async () => {
    for (const service of services) service.kill();
    await events.close();
    await openai.close();
    await sql.destroy();
    await db.drop();
  });

  it('finalizes a killed instance’s running, queued-and-claimed and job-less requests once, as interrupted, with events', async () => {
    const doomed = await start();
    await registerModelAt(doomed.baseUrl, { model_id: 'hangs', provider: 'openai', capabilities: ['chat'], api_url: openai.url });
    const syncIds = [1, 2, 3].map((i) => `${db.name}-sync-${i}`);
    const asyncId = `${db.name}-async`;
    const joblessId = `${db.name}-jobless`;
    syncIds.forEach((id) => void hang(doomed, id));
    const queued = await hang(doomed, asyncId, { Prefer: 'respond-async' });
    expect(queued?.status).toBe(202);
    // A queued row whose job never reached the queue (the instance died between the two writes).
    await sql.query(
      `INSERT INTO inference_requests (id, kind, status, task_type, metadata, created_at) VALUES ($1, 'chat', 'queued', 'general', '{}', now() - interval '1 minute')`,
      [joblessId],
    );
    await waitUntil(async () => (await rowsOf([...syncIds, asyncId])).every((r) => r.status === 'running'), 15_000);

    // Two live instances race to reclaim; the queued job was claimed by the doomed one's worker.
    const [survivor, rival] = [await start(), await start()];
    const [{ id: doomedInstance }] = await sql.query(`SELECT DISTINCT instance_id AS id FROM inference_requests WHERE id = ANY($1)`, [syncIds]);
    doomed.kill();
    const killedAt = Date.now();
    await doomed.exited();

    const all = [...syncIds, asyncId, joblessId];
    await waitUntil(async () => (await rowsOf(all)).every((r) => r.status === 'failed'), RECLAIM_WITHIN_MS);
    const reclaimedAfterMs = Date.now() - killedAt;
    console.log(`requests of a killed instance finalized ${reclaimedAfterMs} ms after the kill (lease ${LEASE_SECONDS} s)`);

    const rows = await rowsOf(all);
    for (const row of rows) expect(row.error?.code).toBe('interrupted');
    for (const row of rows.filter((r) => r.id !== joblessId)) expect(row.error?.details.instance_id).toBe(doomedInstance);
    await waitUntil(() => all.every((id) => interruptedEvents(id).length === 1));

    // Further sweeps by both survivors find nothing to do: no second outcome, no second event.
    await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000));
    expect(await rowsOf(all)).toEqual(rows);
    for (const id of all) expect(interruptedEvents(id)).toHaveLength(1);
    expect(events.events(EventName.RequestCompleted, (e) => all.includes(e.request_id))).toEqual([]);
    const [{ n }] = await sql.query(`SELECT count(*)::int AS n FROM outbox_events WHERE payload->>'request_id' = ANY($1)`, [all]);
    expect(n).toBe(all.length);

    // Feedback on a request no model answered is refused with a reason, not "still running".
    const feedback = await request(survivor.baseUrl, 'POST', '/api/models/feedback', { body: { request_id: syncIds[0], success: false } });
    expect(feedback.status).toBe(409);
    expect(feedback.body.error.message).not.toContain('still running');

    for (const service of [survivor, rival]) expect(await service.stop()).toBe(0);
  }, 120_000);

  it('is done at boot by an instance that starts after the dead one’s lease ran out', async () => {
    const doomed = await start();
    const id = `${db.name}-before-boot`;
    void hang(doomed, id);
    await waitUntil(async () => (await rowsOf([id]))[0]?.status === 'running', 15_000);
    doomed.kill();
    await doomed.exited();
    await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000 + 500));
    expect((await rowsOf([id]))[0].status).toBe('running');

    const next = await start();
    // Its periodic sweeps wait until it has held its own lease for a whole lease period; the boot sweep does not.
    await waitUntil(async () => (await rowsOf([id]))[0].status === 'failed', (LEASE_SECONDS * 1000) / 2, 25);
    expect((await rowsOf([id]))[0].error?.code).toBe('interrupted');
    expect(await next.stop()).toBe(0);
  }, 120_000);
});
