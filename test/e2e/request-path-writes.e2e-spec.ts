import { waitUntil } from '../../scripts/lib/processes';
import { GUARDED_IDS, Sql } from '../../src/database/sql';
import { InferenceRepository } from '../../src/inference/inference.repository';
import { OutcomeRecorder } from '../../src/inference/outcome-recorder.service';
import { interruptedOutcome, Outcome } from '../../src/inference/outcome';
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
  const chat = (id: string, taskType = 'summarization') =>
    request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'writer', task_type: taskType, messages: [{ role: 'user', content: 'hello' }] },
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

    await expect(sql.writtenFor(finish, [brokenEvent])).rejects.toThrow(/null value/);
    const [row] = await service.sql.query(`SELECT status FROM inference_requests WHERE id = 'atomic-1'`);
    expect(row.status).toBe('running');

    expect(await sql.writtenFor(finish, [{ sql: `INSERT INTO outbox_events (pattern, payload) VALUES ($1, '{}')`, params: ['test.event'] }])).toEqual(new Set(['atomic-1']));
    const [after] = await service.sql.query(`SELECT status FROM inference_requests WHERE id = 'atomic-1'`);
    expect(after.status).toBe('completed');
  });

  it('writes guarded steps only for the rows the guard changed, so an outcome is written once', async () => {
    await service.sql.query(`INSERT INTO inference_requests (id, kind, status, task_type) VALUES ('guarded-1', 'chat', 'running', 'general')`);
    const finish = (ids: string[]) => ({
      sql: `UPDATE inference_requests SET status = 'failed' WHERE id = ANY($1) AND status = 'running' RETURNING id`,
      params: [ids],
    });
    const event = (owners: string[]) => ({
      sql: `INSERT INTO outbox_events (pattern, payload) SELECT 'test.guarded', jsonb_build_object('request_id', o) FROM unnest($1::text[]) AS o
             WHERE o IN ${GUARDED_IDS}`,
      params: [owners],
    });

    // Two writers race to finalize the row: the first writes its event, the second nothing at all.
    const results = await Promise.all([sql.writtenFor(finish(['guarded-1']), [event(['guarded-1'])]), sql.writtenFor(finish(['guarded-1']), [event(['guarded-1'])])]);
    expect(results.map((written) => written.size).sort()).toEqual([0, 1]);
    const [{ n }] = await service.sql.query(`SELECT count(*)::int AS n FROM outbox_events WHERE pattern = 'test.guarded'`);
    expect(n).toBe(1);
    expect(await sql.writtenFor(finish(['no-such-request']), [event(['no-such-request'])])).toEqual(new Set());
  });

  it('inserts the running rows of requests starting while one is being inserted in one statement', async () => {
    const statements = jest.spyOn(sql, 'queryUnflushed');
    const row = (id: string) => ({ id, kind: 'chat' as const, taskType: 'general', inferredTask: null, requestedModelId: null, metadata: {}, createdAt: new Date(), clientKey: null });
    const requests = service.app.get(InferenceRepository);
    const ids = ['start-a', 'start-b', 'start-c', 'start-d'];
    await Promise.all(ids.map((id) => requests.insert(row(id), 'running', null)));
    expect(statements).toHaveBeenCalledTimes(2);
    statements.mockRestore();
    const rows = await service.sql.query(`SELECT id, status FROM inference_requests WHERE id LIKE 'start-%' ORDER BY id`);
    expect(rows).toEqual(ids.map((id) => ({ id, status: 'running' })));
    await expect(requests.insert(row('start-a'), 'running', null)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('answers one of two requests sent at once with one id, and the other 409', async () => {
    const answers = await Promise.all([chat('same-id', 'classification'), chat('same-id', 'classification')]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)?.body.error.code).toBe('conflict');
  });

  describe('the running row and the first provider call', () => {
    /** Holds a lock that blocks every write to inference_requests until `release`. */
    const blockRequestWrites = async () => {
      const runner = service.sql.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      await runner.query('LOCK TABLE inference_requests IN SHARE MODE');
      return async () => {
        await runner.rollbackTransaction();
        await runner.release();
      };
    };
    const sentUpstream = (id: string) => openai.requests.some((r) => JSON.stringify(r.body).includes(id));
    const rowOf = async (id: string) => (await service.sql.query(`SELECT status FROM inference_requests WHERE id = $1`, [id]))[0];

    // A row comes before the call, so a 200, and a stream's start event, stand for a recorded request.
    it.each([false, true])('writes the running row before the first provider call (stream: %s), and answers once the outcome is in', async (stream) => {
      const id = `row-first-${stream}`;
      const release = await blockRequestWrites();
      const answer = fetch(`${service.baseUrl}/api/models/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Request-Id': id },
        body: JSON.stringify({ model_id: 'writer', task_type: 'classification', stream, messages: [{ role: 'user', content: `marker-${id}` }] }),
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const calledEarly = sentUpstream(`marker-${id}`);
      await release();
      expect(calledEarly).toBe(false);
      const response = await answer;
      expect(response.status).toBe(200);
      const body = await response.text();
      if (stream) expect(body).toMatch(/^event: start\n[\s\S]*event: done/);
      else expect(JSON.parse(body).completion_id).toBe(id);
      expect(await rowOf(id)).toEqual({ status: 'completed' });
    });

    it('answers 409 to the id of a finished request and leaves its row as it was', async () => {
      expect((await chat('finished-1', 'classification')).status).toBe(200);
      const [before] = await service.sql.query(`SELECT status, completed_at, response FROM inference_requests WHERE id = 'finished-1'`);
      const again = await chat('finished-1', 'classification');
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'conflict', details: { request_id: 'finished-1' } });
      const [after] = await service.sql.query(`SELECT status, completed_at, response FROM inference_requests WHERE id = 'finished-1'`);
      expect(after).toEqual(before);
    });
  });

  describe('group commit of outcomes', () => {
    const facts = (requestId: string) => ({ requestId, taskType: 'general', inferredTask: null, requestedModelId: 'writer', metadata: {} });
    /** A failed outcome with its event and one observation of the given quality (above 1 breaks a constraint). */
    const outcomeOf = (requestId: string, quality = 0.5): Outcome => ({
      ...interruptedOutcome(facts(requestId), 'test', null),
      observations: [{ modelId: 'writer', taskType: 'group-commit', source: 'automatic', requestId, success: true, quality, weight: 1, observedAt: new Date() }],
    });
    const running = (...ids: string[]) =>
      service.sql.query(`INSERT INTO inference_requests (id, kind, status, task_type) SELECT id, 'chat', 'running', 'general' FROM unnest($1::text[]) AS id`, [ids]);
    const record = (id: string, quality?: number) =>
      service.app.get(OutcomeRecorder).record({ requestId: id, taskType: 'general', keyName: null, timer: null }, 'running', outcomeOf(id, quality));
    const written = async (ids: string[]) => ({
      statuses: (await service.sql.query(`SELECT id, status FROM inference_requests WHERE id = ANY($1) ORDER BY id`, [ids])).map((r: { status: string }) => r.status),
      events: (await service.sql.query(`SELECT payload->>'request_id' AS id FROM outbox_events WHERE payload->>'request_id' = ANY($1) ORDER BY 1`, [ids])).map(
        (r: { id: string }) => r.id,
      ),
      observations: (await service.sql.query(`SELECT request_id FROM performance_observations WHERE request_id = ANY($1) ORDER BY 1`, [ids])).map(
        (r: { request_id: string }) => r.request_id,
      ),
    });

    afterEach(() => jest.restoreAllMocks());

    it('writes the outcomes recorded while one is being written in one statement, each with its own events and observations', async () => {
      const ids = ['batch-a', 'batch-b', 'batch-c', 'batch-d'];
      await running(...ids);
      const statements = jest.spyOn(sql, 'writtenFor');
      // The first goes out at once, alone; the three recorded while it is written go out together.
      expect(await Promise.all(ids.map((id) => record(id)))).toEqual([true, true, true, true]);
      expect(statements).toHaveBeenCalledTimes(2);
      expect(await written(ids)).toEqual({ statuses: ids.map(() => 'failed'), events: ids, observations: ids });
    });

    it('writes nothing for a request another writer finalized first, and the rest of its batch', async () => {
      await running('moved-a', 'moved-b');
      await service.sql.query(`UPDATE inference_requests SET status = 'completed' WHERE id = 'moved-a'`);
      expect(await Promise.all([record('moved-a'), record('moved-b')])).toEqual([false, true]);
      expect(await written(['moved-a', 'moved-b'])).toEqual({ statuses: ['completed', 'failed'], events: ['moved-b'], observations: ['moved-b'] });
    });

    it('fails only the outcome with a bad row: the others of its batch are written', async () => {
      await running('bad-a', 'bad-b', 'bad-c');
      const results = await Promise.allSettled([record('bad-a'), record('bad-b', 2), record('bad-c')]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/check constraint/);
      expect(await written(['bad-a', 'bad-b', 'bad-c'])).toEqual({ statuses: ['failed', 'running', 'failed'], events: ['bad-a', 'bad-c'], observations: ['bad-a', 'bad-c'] });
    });

    it('answers concurrent requests each with its own recorded outcome', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `concurrent-${String(i).padStart(2, '0')}`);
      const answers = await Promise.all(ids.map((id) => chat(id, 'classification')));
      expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
      const rows = await service.sql.query(`SELECT id, status, model_id FROM inference_requests WHERE id = ANY($1) ORDER BY id`, [ids]);
      expect(rows).toEqual(ids.map((id) => ({ id, status: 'completed', model_id: 'writer' })));
      const events = await service.sql.query(`SELECT payload->>'request_id' AS id, pattern FROM outbox_events WHERE payload->>'request_id' = ANY($1) ORDER BY 1`, [ids]);
      expect(events).toEqual(ids.map((id) => ({ id, pattern: 'model.request.completed' })));
    });
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
