import { waitUntil } from '../../scripts/lib/processes';
import { Sql } from '../../src/database/sql';
import { ModelEntity } from '../../src/models/model.entity';
import { ModelsService } from '../../src/models/models.service';
import { PerformanceService } from '../../src/performance/performance.service';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const PRIOR = 5;

/**
 * How the request path writes: one statement for the outcome, unflushed `running` rows, and
 * automatic observations folded into the scores after the request by any instance.
 */
describe('request path writes', () => {
  let service: TestApp;
  let openai: FakeServer;
  let sql: Sql;
  let model: ModelEntity;
  const chat = (id: string) =>
    request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'writer', task_type: 'summarization', messages: [{ role: 'user', content: 'hello' }] },
      headers: { 'X-Request-Id': id },
    });
  const storedScore = async (taskType: string): Promise<{ weight_sum: number } | undefined> =>
    (await service.sql.query(`SELECT weight_sum FROM performance_scores WHERE model_id = 'writer' AND task_type = $1`, [taskType]))[0];

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp();
    await registerModel(service, { model_id: 'writer', provider: 'openai', capabilities: ['chat'], api_url: openai.url, quality: 0.5 });
    sql = service.app.get(Sql);
    model = await service.app.get(ModelsService).get('writer');
  });

  afterAll(async () => {
    await service.close();
    await openai.close();
  });

  it('commits every step of an atomic write or none of them', async () => {
    await service.sql.query(`INSERT INTO inference_requests (id, kind, status, task_type) VALUES ('atomic-1', 'chat', 'running', 'general')`);
    const finish = { sql: `UPDATE inference_requests SET status = 'completed' WHERE id = $1 RETURNING id`, params: ['atomic-1'] };
    const brokenEvent = { sql: `INSERT INTO outbox_events (pattern, payload) VALUES ($1, '{}')`, params: [null] };

    await expect(sql.atomicallyIf(finish, [null, brokenEvent])).rejects.toThrow(/null value/);
    const [row] = await service.sql.query(`SELECT status FROM inference_requests WHERE id = 'atomic-1'`);
    expect(row.status).toBe('running');

    await sql.atomicallyIf(finish, [{ sql: `INSERT INTO outbox_events (pattern, payload) VALUES ($1, '{}')`, params: ['test.event'] }]);
    const [after] = await service.sql.query(`SELECT status FROM inference_requests WHERE id = 'atomic-1'`);
    expect(after.status).toBe('completed');
  });

  it('writes guarded steps only while the guard changes a row, so an outcome is written once', async () => {
    await service.sql.query(`INSERT INTO inference_requests (id, kind, status, task_type) VALUES ('guarded-1', 'chat', 'running', 'general')`);
    const finish = { sql: `UPDATE inference_requests SET status = 'failed' WHERE id = $1 AND status = 'running' RETURNING id`, params: ['guarded-1'] };
    const event = { sql: `INSERT INTO outbox_events (pattern, payload) VALUES ($1, '{"request_id": "guarded-1"}')`, params: ['test.guarded'] };

    // Two writers race to finalize the row: the first writes its event, the second nothing at all.
    const results = await Promise.all([sql.atomicallyIf(finish, [event]), sql.atomicallyIf(finish, [event])]);
    expect(results.sort()).toEqual([false, true]);
    const [{ n }] = await service.sql.query(`SELECT count(*)::int AS n FROM outbox_events WHERE pattern = 'test.guarded'`);
    expect(n).toBe(1);
    expect(await sql.atomicallyIf({ ...finish, params: ['no-such-request'] }, [event])).toBe(false);
  });

  it('writes running rows without waiting for the disk, and outcomes durably', async () => {
    expect(await sql.queryUnflushed(`SHOW synchronous_commit`)).toEqual([{ synchronous_commit: 'off' }]);
    expect(await sql.query(`SHOW synchronous_commit`)).toEqual([{ synchronous_commit: 'on' }]);
  });

  it('runs one named statement with different parameters on every connection', async () => {
    const rows = await Promise.all(Array.from({ length: 25 }, (_, i) => sql.query<{ n: number }>(`SELECT $1::int * 2 AS n`, [i])));
    expect(rows.map(([r]) => r.n)).toEqual(Array.from({ length: 25 }, (_, i) => i * 2));
  });

  it('folds a request\'s automatic observation into the scores shortly after it, with no read forcing it', async () => {
    const { status } = await chat('fold-1');
    expect(status).toBe(200);
    await waitUntil(async () => (await storedScore('summarization'))?.weight_sum === 1);
    const [observation] = await service.sql.query(`SELECT folded FROM performance_observations WHERE request_id = 'fold-1'`);
    expect(observation.folded).toBe(true);
    // Routing's in-memory copy has it too: one success on the 0.9 success prior worth PRIOR observations.
    expect(service.app.get(PerformanceService).scoresFor(model, 'summarization').successRate).toBeCloseTo((PRIOR * 0.9 + 1) / (PRIOR + 1), 6);
  });

  it('folds observations another instance wrote but never folded (it crashed)', async () => {
    await service.sql.query(
      `INSERT INTO performance_observations (model_id, task_type, source, success, quality, weight, observed_at, folded)
       VALUES ('writer', 'translation', 'automatic', true, 1, 1, now(), false)`,
    );
    await waitUntil(async () => (await storedScore('translation'))?.weight_sum === 1, 5000);
  });

  it('leaves out of the scores what was written before a reset and folded after it', async () => {
    const { status } = await request(service.baseUrl, 'POST', '/api/admin/performance/reset', {
      body: { model_id: 'writer', task_types: ['extraction'] },
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(status).toBe(200);
    // Written a minute before the reset by an instance that had not folded it yet.
    await service.sql.query(
      `INSERT INTO performance_observations (model_id, task_type, source, success, quality, weight, observed_at, recorded_at, folded)
       VALUES ('writer', 'extraction', 'automatic', true, 0, 1, now(), now() - interval '1 minute', false)`,
    );
    await service.app.get(PerformanceService).foldPending();

    const [pending] = await service.sql.query(`SELECT count(*)::int AS n FROM performance_observations WHERE NOT folded`);
    expect(pending.n).toBe(0);
    expect(await storedScore('extraction')).toBeUndefined();
  });
});
