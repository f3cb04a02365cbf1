import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { EphemeralRedis, waitUntil } from '../../scripts/lib/processes';
import { Clock } from '../../src/common/clock';
import { Sql } from '../../src/database/sql';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ServiceProcess } from '../support/service-process';
import { ADMIN_TOKEN, startTestApp, TestApp, TestDatabase } from '../support/test-app';

/** What one caller can make one instance do is bounded, whatever the caller sends. */
describe('bounded work per request', () => {
  let service: TestApp;
  let openai: FakeServer;

  const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    request(service.baseUrl, 'POST', '/api/models/chat', { body: { messages: [{ role: 'user', content: 'hi' }], ...body }, headers });
  const callsTo = (prefix: string) => openai.requests.filter((r) => String(r.body.model).startsWith(prefix)).length;

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp({ MAX_ATTEMPTS: '3', REQUEST_TIMEOUT_MS: '3000', MAX_TASK_TYPES: '3' });
    for (let i = 0; i < 10; i++) {
      openai.behave(`failing-${i}`, { error: { status: 503, message: 'overloaded' } });
      await registerModel(service, { model_id: `failing-${i}`, provider: 'openai', capabilities: ['chat', 'flaky'], api_url: openai.url, quality: 0.9 - i / 100 });
    }
    for (const id of ['slow-a', 'slow-b']) {
      openai.behave(id, { delayMs: 10_000 });
      await registerModel(service, { model_id: id, provider: 'openai', capabilities: ['chat', 'slow'], api_url: openai.url });
    }
    openai.behave('hangs', { delayMs: 60_000 });
    await registerModel(service, { model_id: 'hangs', provider: 'openai', capabilities: ['chat', 'patient'], api_url: openai.url });
    await registerModel(service, { model_id: 'steady', provider: 'openai', capabilities: ['chat', 'steady'], api_url: openai.url });
  }, 60_000);

  afterAll(async () => {
    await service.close();
    await openai.close();
  });

  it('stops a routed request over ten failing candidates after MAX_ATTEMPTS calls', async () => {
    const { status, body } = await chat({ requirements: { capabilities: ['flaky'] } });
    expect(status).toBe(503);
    expect(body.error.code).toBe('no_model_available');
    expect(body.error.details.attempts.map((a: { model_id: string }) => a.model_id)).toEqual(['failing-0', 'failing-1', 'failing-2']);
    expect(body.error.details.stopped_by).toBe('max_attempts');
    expect(callsTo('failing-')).toBe(3);
  });

  it('stops a request over slow candidates at REQUEST_TIMEOUT_MS, whatever PROVIDER_TIMEOUT_MS allows', async () => {
    const started = Date.now();
    const { status, body } = await chat({ requirements: { capabilities: ['slow'] } });
    const tookMs = Date.now() - started;
    expect(status).toBe(503);
    expect(body.error.details.attempts).toEqual([expect.objectContaining({ model_id: expect.stringMatching(/^slow-/), error: expect.objectContaining({ code: 'timeout' }) })]);
    expect(body.error.details.stopped_by).toBe('request_timeout');
    expect(callsTo('slow-')).toBe(1);
    // A bound, not a benchmark: the provider would have answered after 10 s.
    expect(tookMs).toBeLessThan(8000);
  });

  it('tracks at most MAX_TASK_TYPES task types, refusing a new one beyond them with a 400 naming task_type', async () => {
    // Names an object inherits are task types like any other, never the object's own properties.
    for (const taskType of ['constructor', 'code_generation', 'reasoning']) {
      expect((await chat({ model_id: 'steady', task_type: taskType })).status).toBe(200);
    }
    const refused = await chat({ model_id: 'steady', task_type: 'creative' });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body.error.details.fields)).toEqual(['task_type']);
    const onV1 = await request(service.baseUrl, 'POST', '/v1/chat/completions', { body: { model: 'auto:creative', messages: [{ role: 'user', content: 'hi' }] } });
    expect(onV1.status).toBe(400);
    expect(onV1.body.error).toMatchObject({ type: 'invalid_request_error', param: 'task_type' });

    for (const taskType of ['reasoning', 'general', undefined]) expect((await chat({ model_id: 'steady', task_type: taskType })).status).toBe(200);
    const [{ n }] = await service.sql.query(`SELECT count(DISTINCT task_type)::int AS n FROM inference_requests WHERE task_type NOT IN ('general')`);
    expect(n).toBe(3);
  });

  it('gives back, after a while, the places of new task types whose requests never reached a model', async () => {
    const small = await startTestApp({ MAX_TASK_TYPES: '2', MAX_PROMPT_CHARS: '10' });
    const tooLong = (taskType: string) =>
      request(small.baseUrl, 'POST', '/api/models/chat', { body: { task_type: taskType, messages: [{ role: 'user', content: 'far too long a prompt' }] } });
    const refusedField = async (taskType: string) => Object.keys((await tooLong(taskType)).body.error.details.fields);
    try {
      // Let in, then refused for their size: no provider call, so no scores ever hold their places.
      expect(await refusedField('spam_1')).toEqual(['messages']);
      expect(await refusedField('spam_2')).toEqual(['messages']);
      expect(await refusedField('spam_3')).toEqual(['task_type']);

      const clock = small.app.get(Clock);
      const now = clock.monotonicMs();
      const later = jest.spyOn(clock, 'monotonicMs').mockReturnValue(now + 16 * 60_000);
      try {
        expect(await refusedField('spam_3')).toEqual(['messages']);
      } finally {
        later.mockRestore();
      }
    } finally {
      await small.close();
    }
  });

  it('answers 409 to a second request with a running request’s id and leaves the first one cancellable', async () => {
    const id = 'duplicate-id-1';
    const first = chat({ model_id: 'hangs', fallback: false }, { 'X-Request-Id': id });
    await waitUntil(async () => (await service.sql.query(`SELECT 1 FROM inference_requests WHERE id = $1`, [id])).length === 1);
    const second = await chat({ model_id: 'steady' }, { 'X-Request-Id': id });
    expect(second.status).toBe(409);

    const cancel = await request(service.baseUrl, 'POST', `/api/admin/requests/${id}/cancel`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(cancel.body).toEqual({ request_id: id, status: 'cancelled' });
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(answered.body.metadata.finish_reason).toBe('cancelled');
  });

  it('ignores malformed messages on the change-feed channels and keeps serving', async () => {
    const publisher = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      for (const topic of ['models', 'performance']) {
        for (const message of ['not json', 'null', '[]', '{"from":1}', '{"from":"x","ids":"gpt"}', '['.repeat(5000)]) {
          await publisher.publish(`${service.config.redisKeyPrefix}:${topic}:changed`, message);
        }
      }
    } finally {
      publisher.disconnect();
    }
    expect((await request(service.baseUrl, 'GET', '/health')).status).toBe(200);
    expect((await chat({ model_id: 'steady' })).status).toBe(200);
  });

  it('records an answer holding NUL characters and lone surrogates, with U+FFFD in their place', async () => {
    openai.behave('odd-text', { text: 'nul\u0000 lone\ud800 pair👋' });
    await registerModel(service, { model_id: 'odd-text', provider: 'openai', capabilities: ['chat'], api_url: openai.url });
    const { status, body, headers } = await chat({ model_id: 'odd-text', metadata: { user_id: 'u-1' } });
    expect(status).toBe(200);
    expect(body.content).toBe('nul\u0000 lone\ud800 pair👋');
    const [row] = await service.sql.query(`SELECT status, response->>'content' AS content FROM inference_requests WHERE id = $1`, [headers.get('x-request-id')]);
    expect(row).toEqual({ status: 'completed', content: 'nul\ufffd lone\ufffd pair👋' });
  });

  it('bounds every statement on the app’s connections', async () => {
    const [{ statement_timeout }] = await service.app.get(DataSource).query('SHOW statement_timeout');
    expect(statement_timeout).toBe('30s');
    const [fromSqlPool] = await service.app.get(Sql).query<{ statement_timeout: string }>('SHOW statement_timeout');
    expect(fromSqlPool.statement_timeout).toBe('30s');
  });
});

describe('Redis going away', () => {
  it('refuses asynchronous requests with 503 and no row left, and is reported in structured log lines, never plain text on stderr', async () => {
    const redis = await EphemeralRedis.start();
    const db = await TestDatabase.create();
    await db.migrate();
    const service = await ServiceProcess.start(db, { REDIS_URL: redis.url });
    try {
      await request(service.baseUrl, 'POST', '/api/admin/models', {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: { model_id: 'later', provider: 'openai', capabilities: ['chat'], configuration: { api_url: 'http://127.0.0.1:9/v1' } },
      });
      await redis.stop();
      const queued = await request(service.baseUrl, 'POST', '/api/models/chat', {
        headers: { Prefer: 'respond-async', 'X-Request-Id': `${db.name}-async` },
        body: { model_id: 'later', messages: [{ role: 'user', content: 'later' }] },
      });
      expect({ status: queued.status, code: queued.body.error.code }).toEqual({ status: 503, code: 'service_unavailable' });
      const sql = await db.dataSource().initialize();
      expect(await sql.query(`SELECT id FROM inference_requests`)).toEqual([]);
      await sql.destroy();
      await waitUntil(() => service.lines().some((line) => line.context === 'Queues'), 15_000);
      await redis.restart();
      await waitUntil(async () => (await fetch(`${service.baseUrl}/health`)).status === 200, 15_000);
      expect(service.stderr).toBe('');
      expect(service.lines().filter((line) => line.level === 'warn' && line.context === 'Queues').length).toBeGreaterThan(0);
    } finally {
      service.kill();
      await redis.stop();
      await db.drop();
    }
  }, 60_000);
});
