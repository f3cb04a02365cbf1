import { registerModel } from '../support/factories';
import { embeddingOf, FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';
import { TINY_MODEL } from '../support/paths';


describe('POST /api/models/embeddings', () => {
  let service: TestApp;
  let openai: FakeServer;
  const embed = (body: unknown) => request(service.baseUrl, 'POST', '/api/models/embeddings', { body });
  const norm = (v: number[]) => Math.hypot(...v);

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp({ LOCAL_MODEL_PATH: TINY_MODEL });
    await registerModel(service, {
      model_id: 'oa-embed',
      provider: 'openai',
      capabilities: ['embedding'],
      api_url: openai.url,
      api_key: 'sk-test-embeddings',
      pricing: { input: 0.0001, output: 0 },
    });
  });

  afterAll(async () => {
    await service.close();
    await openai.close();
  });

  beforeEach(() => openai.reset());

  it('embeds through the OpenAI protocol with usage and cost from the registered price', async () => {
    openai.behave('oa-embed', { usage: { input: 1000, output: 0 } });
    const { status, body } = await embed({ texts: ['alpha', 'beta'], model_id: 'oa-embed' });
    expect(status).toBe(200);
    expect(body.model).toEqual({ id: 'oa-embed', provider: 'openai' });
    expect(body.embeddings).toHaveLength(2);
    expect(body.embeddings[0]).toEqual(embeddingOf('alpha', body.embeddings[0].length).map((x) => expect.closeTo(x, 6)));
    expect(body.usage).toEqual({ total_tokens: 1000, estimated_cost: 0.0001 });
  });

  it('passes dimensions to a provider that supports them', async () => {
    const { body } = await embed({ texts: ['alpha'], model_id: 'oa-embed', dimensions: 8 });
    expect(openai.requests[0].body.dimensions).toBe(8);
    expect(body.embeddings[0]).toHaveLength(8);
  });

  it('embeds with the local GGUF model: 64 dimensions, the same text the same vector', async () => {
    const { status, body } = await embed({ texts: ['a cat sat', 'a cat sat'], model_id: 'stories260k' });
    expect(status).toBe(200);
    expect(body.model).toEqual({ id: 'stories260k', provider: 'local' });
    expect(body.embeddings[0]).toHaveLength(64);
    expect(body.embeddings[0]).toEqual(body.embeddings[1]);
    expect(body.usage.total_tokens).toBeGreaterThan(0);
    expect(body.usage.estimated_cost).toBe(0);
  });

  it('truncates and re-normalizes for a provider without dimensions support, and refuses more than the model has', async () => {
    const full = await embed({ texts: ['a cat sat'], model_id: 'stories260k' });
    const short = await embed({ texts: ['a cat sat'], model_id: 'stories260k', dimensions: 16 });
    expect(short.body.embeddings[0]).toHaveLength(16);
    expect(norm(short.body.embeddings[0])).toBeCloseTo(1, 6);
    const head = full.body.embeddings[0].slice(0, 16);
    const scale = norm(head);
    short.body.embeddings[0].forEach((x: number, i: number) => expect(x).toBeCloseTo(head[i] / scale, 6));

    const tooMany = await embed({ texts: ['a cat sat'], model_id: 'stories260k', dimensions: 128 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details.fields).toEqual({ dimensions: ['must be at most 64, the dimensions of stories260k'] });
  });

  it('uses the cheapest available embedding model when none is named', async () => {
    const { body } = await embed({ texts: ['hello'] });
    expect(body.model.id).toBe('stories260k');
  });

  it('answers 404 for an unknown model and 422 for a model that does not embed', async () => {
    const unknown = await embed({ texts: ['x'], model_id: 'nope' });
    expect(unknown.status).toBe(404);
    const chatModel = await embed({ texts: ['x'], model_id: 'gpt-4o' });
    expect(chatModel.status).toBe(422);
    expect(chatModel.body.error.code).toBe('model_cannot_serve');
  });

  it('answers 502 for a provider rejection and 503 for a provider outage', async () => {
    openai.behave('oa-embed', { error: { status: 401, message: 'bad key' } });
    const rejected = await embed({ texts: ['x'], model_id: 'oa-embed' });
    expect(rejected.status).toBe(502);
    expect(rejected.body.error.code).toBe('provider_error');
    expect(JSON.stringify(rejected.body)).not.toContain('sk-test-embeddings');

    openai.behave('oa-embed', { error: { status: 500, message: 'down' } });
    const down = await embed({ texts: ['x'], model_id: 'oa-embed' });
    expect(down.status).toBe(503);
    expect(down.body.error.details.attempts[0]).toMatchObject({ model_id: 'oa-embed', error: { code: 'server_error' } });
  });

  it.each([
    ['no texts', { texts: [] }, ['texts']],
    ['texts not an array', { texts: 'hello' }, ['texts']],
    ['a non-string text', { texts: ['ok', 5] }, ['texts']],
    ['an empty text', { texts: [''] }, ['texts']],
    ['too many texts', { texts: Array.from({ length: 257 }, () => 'x') }, ['texts']],
    ['a text too long', { texts: ['x'.repeat(32_769)] }, ['texts']],
    ['dimensions zero', { texts: ['x'], dimensions: 0 }, ['dimensions']],
    ['dimensions not an integer', { texts: ['x'], dimensions: 1.5 }, ['dimensions']],
  ])('answers 400 naming the field for %s', async (_name, body, fields) => {
    const response = await embed(body);
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.error.details.fields)).toEqual(fields);
  });
});
