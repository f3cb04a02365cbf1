import OpenAI from 'openai';
import { waitUntil } from '../../scripts/lib/processes';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { JsonResponse, request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

/**
 * Model aliases (docs/api.md, "Model aliases"): managed through `/api/admin/model-aliases`, resolved
 * on `/v1` before the model is looked up, and shared by every instance on one database.
 */
describe('model aliases', () => {
  let service: TestApp;
  let openai: FakeServer;
  let client: OpenAI;

  const admin = (baseUrl: string, method: string, alias?: string, body?: unknown): Promise<JsonResponse> =>
    request(baseUrl, method, `/api/admin/model-aliases${alias === undefined ? '' : `/${encodeURIComponent(alias)}`}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body,
    });
  const putAlias = async (alias: string, target: string) => {
    const { status, body } = await admin(service.baseUrl, 'PUT', alias, { target });
    if (status !== 200) throw new Error(`PUT ${alias} failed: ${status} ${JSON.stringify(body)}`);
  };
  const chatAt = (baseUrl: string, model: string) =>
    request(baseUrl, 'POST', '/v1/chat/completions', { body: { model, messages: [{ role: 'user', content: 'hi' }] } });
  const requestRow = async (id: string) => {
    const [row] = await service.sql.query(`SELECT * FROM inference_requests WHERE id = $1`, [id]);
    return row;
  };

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp();
    const viaFake = { provider: 'openai' as const, api_url: openai.url, api_key: 'sk-upstream-key' };
    await registerModel(service, { ...viaFake, model_id: 'al-general', capabilities: ['chat'], quality: 0.8 });
    await registerModel(service, { ...viaFake, model_id: 'al-coder', capabilities: ['chat'], quality: 0.5, task_specific: { code_generation: 0.95 } });
    await registerModel(service, { ...viaFake, model_id: 'al-legacy', capabilities: ['completion'], options: { completions_api: true } });
    await registerModel(service, { ...viaFake, model_id: 'al-embedder', capabilities: ['embedding'] });
    client = new OpenAI({ baseURL: `${service.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await service.close();
    await openai.close();
  });

  beforeEach(async () => {
    openai.reset();
    const { body } = await admin(service.baseUrl, 'GET');
    for (const { alias } of body.aliases as { alias: string }[]) await admin(service.baseUrl, 'DELETE', alias);
  });

  describe('admin endpoints', () => {
    it('creates, replaces, lists sorted by alias and deletes aliases', async () => {
      const created = await admin(service.baseUrl, 'PUT', 'gpt-4o', { target: 'al-general' });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({ alias: 'gpt-4o', target: 'al-general', created_at: expect.any(String), updated_at: created.body.created_at });
      await putAlias('claude-3-5-haiku-*', 'auto');

      const replaced = await admin(service.baseUrl, 'PUT', 'gpt-4o', { target: 'auto:code_generation' });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ alias: 'gpt-4o', target: 'auto:code_generation', created_at: created.body.created_at });
      expect(Date.parse(replaced.body.updated_at)).toBeGreaterThan(Date.parse(created.body.created_at));

      const listed = await admin(service.baseUrl, 'GET');
      expect(listed.status).toBe(200);
      expect(listed.body.aliases.map((a: { alias: string; target: string }) => [a.alias, a.target])).toEqual([
        ['claude-3-5-haiku-*', 'auto'],
        ['gpt-4o', 'auto:code_generation'],
      ]);

      const deleted = await admin(service.baseUrl, 'DELETE', 'gpt-4o');
      expect(deleted.status).toBe(204);
      expect(deleted.body).toBeUndefined();
      expect((await admin(service.baseUrl, 'GET')).body.aliases.map((a: { alias: string }) => a.alias)).toEqual(['claude-3-5-haiku-*']);
    });

    it('answers 404 not_found when deleting an alias that does not exist', async () => {
      const { status, body } = await admin(service.baseUrl, 'DELETE', 'never-defined');

      expect(status).toBe(404);
      expect(body.error).toEqual({ code: 'not_found', message: 'Unknown model alias "never-defined"', details: { alias: 'never-defined' } });
    });

    it('answers 404 model_not_found for a target that is not a registered model, and stores nothing', async () => {
      const { status, body } = await admin(service.baseUrl, 'PUT', 'gpt-4o', { target: 'no-such-model' });

      expect(status).toBe(404);
      expect(body.error).toMatchObject({ code: 'model_not_found', details: { model_id: 'no-such-model' } });
      expect((await admin(service.baseUrl, 'GET')).body.aliases).toEqual([]);
    });

    it('takes an alias with a / sent as %2F in the path', async () => {
      await putAlias('openai/gpt-4o', 'al-general');

      expect((await admin(service.baseUrl, 'GET')).body.aliases).toEqual([expect.objectContaining({ alias: 'openai/gpt-4o' })]);
      expect((await chatAt(service.baseUrl, 'openai/gpt-4o')).body.model).toBe('al-general');
    });

    it.each([
      ['an alias with a space', 'gpt 4o', { target: 'auto' }, 'alias'],
      ['a * that is not last', 'gpt-*-mini', { target: 'auto' }, 'alias'],
      ['an alias longer than 128 characters', 'a'.repeat(129), { target: 'auto' }, 'alias'],
      ['the router name "auto"', 'auto', { target: 'al-general' }, 'alias'],
      ['a router name "auto:<task_type>"', 'auto:code', { target: 'al-general' }, 'alias'],
      ['no target', 'gpt-4o', {}, 'target'],
      ['a target that is not a string', 'gpt-4o', { target: 42 }, 'target'],
      ['a target task type that is not an identifier', 'gpt-4o', { target: 'auto:Code Gen' }, 'target'],
      ['an unknown field', 'gpt-4o', { target: 'auto', priority: 1 }, 'priority'],
    ])('answers 400 naming the field for %s', async (_case, alias, body, field) => {
      const response = await admin(service.baseUrl, 'PUT', alias, body);

      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(Object.keys(response.body.error.details.fields)).toEqual([field]);
    });

    it('needs the admin token', async () => {
      const { status, body } = await request(service.baseUrl, 'PUT', '/api/admin/model-aliases/gpt-4o', { body: { target: 'auto' } });

      expect(status).toBe(401);
      expect(body.error.code).toBe('unauthorized');
      expect((await admin(service.baseUrl, 'GET')).body.aliases).toEqual([]);
    });

    it('refuses a new alias beyond 1,000 with 409, and still replaces an existing one', async () => {
      // 999 rows written directly: as many PUTs would take seconds and test nothing more.
      await service.sql.query(`INSERT INTO model_aliases (alias, target) SELECT 'bulk-' || n, 'auto' FROM generate_series(1, 999) AS n`);
      await putAlias('the-thousandth', 'auto');

      const beyond = await admin(service.baseUrl, 'PUT', 'one-too-many', { target: 'auto' });
      expect(beyond.status).toBe(409);
      expect(beyond.body.error).toMatchObject({ code: 'conflict', details: { alias: 'one-too-many', max_aliases: 1000 } });
      expect((await admin(service.baseUrl, 'PUT', 'bulk-7', { target: 'al-coder' })).status).toBe(200);

      await service.sql.query(`DELETE FROM model_aliases WHERE alias LIKE 'bulk-%'`);
    });
  });

  describe('on /v1', () => {
    it('serves an OpenAI SDK request for gpt-4o with the registered model it is aliased to, through its upstream', async () => {
      await putAlias('gpt-4o', 'al-general');
      openai.behave('al-general', { text: 'From the alias target.' });

      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });

      expect(completion.model).toBe('al-general');
      expect(completion.choices[0].message.content).toBe('From the alias target.');
      expect(openai.requests).toHaveLength(1);
      expect(openai.requests[0].body.model).toBe('al-general');
      expect(await requestRow(completion.id)).toMatchObject({ requested_model_id: 'al-general', model_id: 'al-general' });
    });

    it('routes by task type when the alias targets auto:<task_type>', async () => {
      await putAlias('claude-sonnet-4-5-20250929', 'auto:code_generation');

      const completion = await client.chat.completions.create({ model: 'claude-sonnet-4-5-20250929', messages: [{ role: 'user', content: 'write add' }] });

      expect(completion.model).toBe('al-coder');
      expect(await requestRow(completion.id)).toMatchObject({ requested_model_id: null, task_type: 'code_generation', model_id: 'al-coder' });
    });

    it('maps a name by the longest prefix pattern that matches, and by an exact alias before any pattern', async () => {
      await putAlias('claude-*', 'al-general');
      await putAlias('claude-3-5-haiku-*', 'al-coder');
      await putAlias('claude-3-5-haiku-20241022', 'al-general');

      expect((await chatAt(service.baseUrl, 'claude-3-5-haiku-latest')).body.model).toBe('al-coder');
      expect((await chatAt(service.baseUrl, 'claude-opus-4-1')).body.model).toBe('al-general');
      expect((await chatAt(service.baseUrl, 'claude-3-5-haiku-20241022')).body.model).toBe('al-general');
    });

    it('resolves the model of legacy completions and embeddings too', async () => {
      await putAlias('gpt-3.5-turbo-instruct', 'al-legacy');
      await putAlias('text-embedding-3-*', 'al-embedder');

      const completion = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Once' });
      const { data, response } = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha' }).withResponse();

      expect(completion.model).toBe('al-legacy');
      expect(response.headers.get('x-model-id')).toBe('al-embedder');
      expect(data.data).toHaveLength(1);
      expect(openai.requests.map((r) => [r.path, r.body.model])).toEqual([
        ['/v1/completions', 'al-legacy'],
        ['/v1/embeddings', 'al-embedder'],
      ]);
    });

    it('answers for the name itself again once its alias is deleted', async () => {
      await putAlias('my-favourite', 'al-general');
      expect((await chatAt(service.baseUrl, 'my-favourite')).status).toBe(200);

      await admin(service.baseUrl, 'DELETE', 'my-favourite');
      const { status, body } = await chatAt(service.baseUrl, 'my-favourite');

      expect(status).toBe(404);
      expect(body.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    });
  });

  it('shares aliases between instances on one database: a change on one is served by the other within a second', async () => {
    const other = await startTestApp({}, service);
    try {
      expect((await chatAt(other.baseUrl, 'o1-preview')).status).toBe(404);

      await putAlias('o1-preview', 'al-coder');
      await waitUntil(async () => (await chatAt(other.baseUrl, 'o1-preview')).body.model === 'al-coder', 1000, 25, 'the alias served by the other instance');

      expect((await admin(other.baseUrl, 'DELETE', 'o1-preview')).status).toBe(204);
      await waitUntil(async () => (await chatAt(service.baseUrl, 'o1-preview')).status === 404, 1000, 25, 'the deletion seen by the first instance');
    } finally {
      await other.close();
    }
  });
});
