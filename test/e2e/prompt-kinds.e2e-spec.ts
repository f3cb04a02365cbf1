import OpenAI from 'openai';
import { waitUntil } from '../../scripts/lib/processes';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';

const SQL_PROMPT = 'Table orders(id, customer_id, total, created_at). Write a SQL query that returns the running total of total over time.';
const SQL_PROMPT_2 = 'Table invoices(id, account_id, amount, due_date). Write a SQL query that returns the running total of amount over time.';
const POEM_PROMPT = 'Compose a sonnet from the point of view of a lighthouse keeper, set in a drowned city, ending on a tender note.';

/** Requests without a task type: routed and learned as the kind their prompt is nearest to (docs/routing.md). */
describe('kinds of requests learned from prompts', () => {
  let service: TestApp;
  let openai: FakeServer;

  const completion = (body: Record<string, unknown>) => request(service.baseUrl, 'POST', '/api/models/completion', { body: { max_tokens: 16, ...body } });
  const row = async (id: string) => (await service.sql.query(`SELECT task_type, inferred_task FROM inference_requests WHERE id = $1`, [id]))[0];
  const observations = (id: string) => service.sql.query(`SELECT task_type, source FROM performance_observations WHERE request_id = $1 ORDER BY source`, [id]);

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp();
    const viaFake = { provider: 'openai' as const, api_url: openai.url, api_key: 'sk-upstream-key' };
    await registerModel(service, { ...viaFake, model_id: 'pk-cheap', capabilities: ['chat', 'completion'], quality: 0.7, pricing: { input: 0.0001, output: 0.0002 } });
    await registerModel(service, { ...viaFake, model_id: 'pk-dear', capabilities: ['chat'], quality: 0.75, pricing: { input: 0.01, output: 0.03 } });
  });

  afterAll(async () => {
    await service.close();
    await openai.close();
  });

  it('says which kind a request without task type was routed as, keeps it on the request, and counts its outcome there', async () => {
    const first = await completion({ prompt: SQL_PROMPT });
    expect(first.status).toBe(200);
    const kind: string = first.body.routing.inferred_task;
    expect(kind).toMatch(/^kind-\d{2}$/);
    expect(first.body.metadata.task_type).toBe('general');
    expect(await row(first.body.completion_id)).toEqual({ task_type: 'general', inferred_task: kind });
    await waitUntil(async () => (await observations(first.body.completion_id)).length === 1);
    expect(await observations(first.body.completion_id)).toEqual([{ task_type: kind, source: 'automatic' }]);

    const similar = await completion({ prompt: SQL_PROMPT_2 });
    const other = await completion({ prompt: POEM_PROMPT });
    expect(similar.body.routing.inferred_task).toBe(kind);
    expect(other.body.routing.inferred_task).not.toBe(kind);
  });

  it('leaves a request with a task type as it was: no kind, no routing field', async () => {
    const given = await completion({ prompt: SQL_PROMPT, task_type: 'sql_questions' });
    expect(given.status).toBe(200);
    expect(given.body.routing).toBeUndefined();
    expect(await row(given.body.completion_id)).toEqual({ task_type: 'sql_questions', inferred_task: null });
  });

  it('counts feedback for the kind the request was routed as, and answers with that kind’s scores', async () => {
    const answered = await completion({ prompt: 'Table products(id, name, price). Write a SQL query that returns the top 5 rows by price for each month.' });
    const kind: string = answered.body.routing.inferred_task;
    const feedback = await request(service.baseUrl, 'POST', '/api/models/feedback', { body: { request_id: answered.body.completion_id, success: true, quality_rating: 0.1 } });
    expect(feedback.status).toBe(200);
    expect(await observations(answered.body.completion_id)).toEqual(expect.arrayContaining([{ task_type: kind, source: 'user' }]));
    const { body: performance } = await request(service.baseUrl, 'GET', `/api/models/performance?model_id=${answered.body.model.id}&time_range=1d`);
    const scores = performance.models[0].metrics.task_specific[kind];
    expect(scores.quality_score).toBeCloseTo(feedback.body.updated_metrics.quality_score, 6);
    expect(scores.quality_score).toBeLessThan(0.7);
  });

  it('names the kind in X-Inferred-Task on /v1 (streams too) and on /v1/messages, not for auto:<task_type>', async () => {
    const client = new OpenAI({ baseURL: `${service.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    const plain = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: SQL_PROMPT }] }).withResponse();
    expect(plain.response.headers.get('x-inferred-task')).toMatch(/^kind-\d{2}$/);

    const stream = await client.chat.completions.create({ model: 'auto', stream: true, messages: [{ role: 'user', content: POEM_PROMPT }] }).withResponse();
    for await (const chunk of stream.data) expect(chunk.object).toBe('chat.completion.chunk');
    expect(stream.response.headers.get('x-inferred-task')).toMatch(/^kind-\d{2}$/);

    const typed = await client.chat.completions.create({ model: 'auto:sql_questions', messages: [{ role: 'user', content: SQL_PROMPT }] }).withResponse();
    expect(typed.response.headers.get('x-inferred-task')).toBeNull();

    const message = await request(service.baseUrl, 'POST', '/v1/messages', { body: { model: 'auto', max_tokens: 16, messages: [{ role: 'user', content: SQL_PROMPT }] } });
    expect(message.status).toBe(200);
    expect(message.headers.get('x-inferred-task')).toBe(plain.response.headers.get('x-inferred-task'));
  });

  it('lists the learned kinds with hints and current winners, and previews routing for a kind', async () => {
    const { status, body } = await request(service.baseUrl, 'GET', '/api/models/routing/kinds');
    expect(status).toBe(200);
    expect(body.kinds.length).toBeGreaterThanOrEqual(2);
    for (const kind of body.kinds) {
      expect(kind).toEqual({ task_type: expect.stringMatching(/^kind-\d{2}$/), requests: expect.any(Number), hint: expect.any(Array), selected_model_id: expect.any(String) });
    }
    expect(body.kinds.flatMap((k: { hint: string[] }) => k.hint)).toEqual(expect.arrayContaining(['sql']));
    const preview = await request(service.baseUrl, 'GET', `/api/models/routing?task_type=${body.kinds[0].task_type}`);
    expect(preview.status).toBe(200);
    expect(preview.body.selected_model_id).toBe(body.kinds[0].selected_model_id);
    expect((await request(service.baseUrl, 'GET', '/api/models/routing?task_type=kind-x')).status).toBe(400);
  });

  it('shares kinds between instances through Postgres: a second instance knows them at boot and learns of new ones', async () => {
    const second = await startTestApp({}, service);
    try {
      const { body: mine } = await request(service.baseUrl, 'GET', '/api/models/routing/kinds');
      const { body: theirs } = await request(second.baseUrl, 'GET', '/api/models/routing/kinds');
      expect(theirs.kinds.map((k: { task_type: string }) => k.task_type)).toEqual(mine.kinds.map((k: { task_type: string }) => k.task_type));

      const fresh = await completion({ prompt: 'If 4 workers paint 12 fences in 3 days, how many days do 6 workers need for 30 fences? Show each step.' });
      const kind: string = fresh.body.routing.inferred_task;
      await waitUntil(async () => (await request(second.baseUrl, 'GET', '/api/models/routing/kinds')).body.kinds.some((k: { task_type: string }) => k.task_type === kind));
      const again = await request(second.baseUrl, 'POST', '/api/models/completion', {
        body: { max_tokens: 16, prompt: 'If 5 workers paint 20 fences in 4 days, how many days do 8 workers need for 40 fences? Show each step.' },
      });
      expect(again.body.routing.inferred_task).toBe(kind);
    } finally {
      await second.close();
    }
  });
});
