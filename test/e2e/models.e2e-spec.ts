import { firstValueFrom } from 'rxjs';
import { Command } from '../../src/events/patterns';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const SECRET = 'sk-test-THIS-MUST-NEVER-LEAK-42';

function registration(overrides: Record<string, unknown> = {}) {
  return {
    model_id: 'acme-vllm-llama',
    provider: 'openai',
    capabilities: ['chat', 'completion', 'code'],
    performance_baseline: { quality_score: 0.7, task_specific: { code_generation: 0.8 } },
    configuration: { api_key: SECRET, api_url: 'http://127.0.0.1:8000/v1', options: { organization: 'acme' } },
    properties: { context_length: 32768, token_limit: 4096, pricing: { input: 0.0005, output: 0.0015 } },
    metadata: { version: '3.1', description: 'Llama on our vLLM' },
    ...overrides,
  };
}

describe('model registry', () => {
  let service: TestApp;
  const http = (method: string, path: string, options?: Parameters<typeof request>[3]) =>
    request(service.baseUrl, method, path, options);
  const send = <T>(pattern: string, payload: unknown) => firstValueFrom(service.commands.send<T>(pattern, payload));
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  beforeAll(async () => {
    service = await startTestApp();
  });

  afterAll(async () => {
    await service.close();
  });

  describe('GET /api/models', () => {
    it('lists the built-in catalogue in the SPEC shape', async () => {
      const { status, body } = await http('GET', '/api/models');
      expect(status).toBe(200);
      expect(Object.keys(body)).toEqual(['models']);
      const gpt4o = body.models.find((m: { id: string }) => m.id === 'gpt-4o');
      expect(gpt4o).toEqual({
        id: 'gpt-4o',
        provider: 'openai',
        capabilities: expect.arrayContaining(['chat', 'completion']),
        properties: { context_length: 128000, token_limit: 16384, pricing: { input: 0.0025, output: 0.01, cached_input: 0.00125 } },
        metadata: {
          version: '2024-08-06',
          description: expect.any(String),
          available: false,
          unavailable_reason: 'no API key: set OPENAI_API_KEY or register configuration.api_key',
          circuit: { state: 'closed', consecutive_failures: 0 },
        },
      });
      const providers = new Set(body.models.map((m: { provider: string }) => m.provider));
      expect(providers).toEqual(new Set(['openai', 'anthropic', 'ollama', 'local']));
    });

    it('filters by provider and by capability', async () => {
      const anthropic = await http('GET', '/api/models?provider=anthropic');
      expect(anthropic.body.models.length).toBeGreaterThan(0);
      expect(anthropic.body.models.every((m: { provider: string }) => m.provider === 'anthropic')).toBe(true);

      const embedders = await http('GET', '/api/models?capability=embedding');
      const ids = embedders.body.models.map((m: { id: string }) => m.id);
      expect(ids).toEqual(expect.arrayContaining(['text-embedding-3-small', 'nomic-embed-text']));
      expect(embedders.body.models.every((m: { capabilities: string[] }) => m.capabilities.includes('embedding'))).toBe(true);

      const both = await http('GET', '/api/models?provider=ollama&capability=embedding');
      expect(both.body.models.map((m: { id: string }) => m.id)).toEqual(['nomic-embed-text']);
    });

    it('rejects unknown filters and bad values with 400 naming the field', async () => {
      const unknown = await http('GET', '/api/models?vendor=openai');
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.code).toBe('validation_failed');
      expect(Object.keys(unknown.body.error.details.fields)).toEqual(['vendor']);

      const badProvider = await http('GET', '/api/models?provider=skynet');
      expect(badProvider.status).toBe(400);
      expect(Object.keys(badProvider.body.error.details.fields)).toEqual(['provider']);
    });

    it('refreshes catalogue rows idempotently at every boot', async () => {
      const count = async () => Number((await service.sql.query('SELECT count(*) AS n FROM models'))[0].n);
      const before = await count();
      await service.app.get((await import('../../src/models/models.service')).ModelsService).onApplicationBootstrap();
      expect(await count()).toBe(before);
    });
  });

  describe('model.register over the Redis transport', () => {
    it('registers a model that then appears in GET /api/models, without its secret', async () => {
      const reply = await send<Record<string, unknown>>(Command.RegisterModel, registration());
      expect(reply).toEqual({
        id: 'acme-vllm-llama',
        provider: 'openai',
        capabilities: ['chat', 'completion', 'code'],
        properties: { context_length: 32768, token_limit: 4096, pricing: { input: 0.0005, output: 0.0015 } },
        metadata: { version: '3.1', description: 'Llama on our vLLM', available: true, circuit: { state: 'closed', consecutive_failures: 0 } },
      });

      const { body } = await http('GET', '/api/models?provider=openai');
      expect(body.models).toContainEqual(reply);
      expect(JSON.stringify(body)).not.toContain(SECRET);
    });

    it('updates on a second registration and keeps the stored key and omitted sections', async () => {
      await send(Command.RegisterModel, registration());
      const sealedBefore = (await service.sql.query(`SELECT api_key_sealed FROM models WHERE id = 'acme-vllm-llama'`))[0].api_key_sealed;

      const reply = await send<Record<string, any>>(Command.RegisterModel, {
        model_id: 'acme-vllm-llama',
        provider: 'openai',
        capabilities: ['chat', 'reasoning'],
        properties: { pricing: { input: 0.001 } },
      });
      expect(reply.capabilities).toEqual(['chat', 'reasoning']);
      expect(reply.properties).toEqual({ context_length: 32768, token_limit: 4096, pricing: { input: 0.001, output: 0.0015 } });
      expect(reply.metadata).toEqual({ version: '3.1', description: 'Llama on our vLLM', available: true, circuit: { state: 'closed', consecutive_failures: 0 } });

      const [row] = await service.sql.query(`SELECT api_key_sealed, settings, performance_baseline, source FROM models WHERE id = 'acme-vllm-llama'`);
      expect(row.api_key_sealed).toBe(sealedBefore);
      expect(row.settings).toEqual({ api_url: 'http://127.0.0.1:8000/v1', options: { organization: 'acme' } });
      expect(row.performance_baseline).toEqual({ quality_score: 0.7, task_specific: { code_generation: 0.8 } });
      expect(row.source).toBe('registered');
      const [{ n }] = await service.sql.query(`SELECT count(*)::int AS n FROM models WHERE id = 'acme-vllm-llama'`);
      expect(n).toBe(1);
    });

    it('stores prompt-cache prices, lists them, keeps them when omitted and unsets them with null', async () => {
      const cachePrices = { input: 0.003, output: 0.015, cached_input: 0.0003, cache_write: 0.00375 };
      const reply = await send<Record<string, any>>(
        Command.RegisterModel,
        registration({ model_id: 'acme-cached', provider: 'anthropic', properties: { pricing: cachePrices } }),
      );
      expect(reply.properties.pricing).toEqual(cachePrices);
      const [row] = await service.sql.query(`SELECT price_cached_input, price_cache_write FROM models WHERE id = 'acme-cached'`);
      expect(row).toEqual({ price_cached_input: 0.0003, price_cache_write: 0.00375 });
      const listed = await http('GET', '/api/models?provider=anthropic');
      expect(listed.body.models.find((m: { id: string }) => m.id === 'acme-cached').properties.pricing).toEqual(cachePrices);

      const kept = await send<Record<string, any>>(Command.RegisterModel, {
        model_id: 'acme-cached',
        provider: 'anthropic',
        capabilities: ['chat'],
        properties: { pricing: { input: 0.004 } },
      });
      expect(kept.properties.pricing).toEqual({ ...cachePrices, input: 0.004 });

      const unset = await send<Record<string, any>>(Command.RegisterModel, {
        model_id: 'acme-cached',
        provider: 'anthropic',
        capabilities: ['chat'],
        properties: { pricing: { cache_write: null } },
      });
      expect(unset.properties.pricing).toEqual({ input: 0.004, output: 0.015, cached_input: 0.0003 });
      const [after] = await service.sql.query(`SELECT price_cache_write FROM models WHERE id = 'acme-cached'`);
      expect(after.price_cache_write).toBeNull();
    });

    it('stores the api_key sealed, not in plaintext', async () => {
      await send(Command.RegisterModel, registration());
      const [row] = await service.sql.query(`SELECT to_jsonb(models) AS all_columns FROM models WHERE id = 'acme-vllm-llama'`);
      expect(JSON.stringify(row.all_columns)).not.toContain(SECRET);
      expect(row.all_columns.api_key_sealed).toMatch(/^v1:[A-Za-z0-9+/=]+$/);
    });

    it('makes a model whose key was sealed under another ENCRYPTION_KEY unavailable, and keeps serving the rest', async () => {
      await send(Command.RegisterModel, registration());
      const rekeyed = await startTestApp({ ENCRYPTION_KEY: 'ab'.repeat(32) }, service);
      try {
        const listed = await request(rekeyed.baseUrl, 'GET', '/api/models?provider=openai');
        expect(listed.status).toBe(200);
        const model = listed.body.models.find((m: { id: string }) => m.id === 'acme-vllm-llama');
        expect(model.metadata).toMatchObject({ available: false, unavailable_reason: expect.stringContaining('ENCRYPTION_KEY') });

        // Routing considers it and moves on: the answer is the usual "nothing available", not an internal error.
        const chat = await request(rekeyed.baseUrl, 'POST', '/api/models/chat', { body: { messages: [{ role: 'user', content: 'hi' }] } });
        expect(chat.status).toBe(503);
        expect(chat.body.error.code).not.toBe('internal_error');
      } finally {
        await rekeyed.close();
      }
    });

    it('lets an operator override a catalogue entry, which later boots leave alone', async () => {
      await send(Command.RegisterModel, {
        model_id: 'gpt-4o-mini',
        provider: 'openai',
        capabilities: ['chat'],
        properties: { pricing: { input: 0.0001, output: 0.0002 } },
      });
      await service.app.get((await import('../../src/models/models.service')).ModelsService).onApplicationBootstrap();
      const { body } = await http('GET', '/api/models?provider=openai');
      const mini = body.models.find((m: { id: string }) => m.id === 'gpt-4o-mini');
      expect(mini.capabilities).toEqual(['chat']);
      // The catalogue's cache price is kept like any other field the registration leaves out.
      expect(mini.properties.pricing).toEqual({ input: 0.0001, output: 0.0002, cached_input: 0.000075 });
      expect(mini.properties.context_length).toBe(128000);
    });

    it('answers an invalid payload with a structured error naming every bad field', async () => {
      const error = await send(Command.RegisterModel, {
        model_id: '',
        provider: 'skynet',
        capabilities: ['Chat'],
        performance_baseline: { quality_score: 1.5, task_specific: { reasoning: 2 } },
        configuration: { api_url: 'not a url' },
        properties: { context_length: -1, pricing: { input: 'free' } },
      }).catch((e: unknown) => e);
      expect(error).toEqual({
        code: 'validation_failed',
        message: expect.any(String),
        details: {
          fields: {
            model_id: [expect.any(String)],
            provider: [expect.any(String)],
            capabilities: [expect.stringContaining('lower-case')],
            'performance_baseline.quality_score': [expect.any(String)],
            'performance_baseline.task_specific': [expect.any(String)],
            'configuration.api_url': [expect.any(String)],
            'properties.context_length': [expect.any(String)],
            'properties.pricing.input': expect.arrayContaining([expect.any(String)]),
          },
        },
      });
      const { body } = await http('GET', '/api/models');
      expect(body.models.map((m: { id: string }) => m.id)).not.toContain('');
    });

    it('answers a non-object payload with a structured error, and keeps serving', async () => {
      const error = await send(Command.RegisterModel, 'register everything').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'validation_failed' });
      expect((await http('GET', '/health')).status).toBe(200);
    });
  });

  describe('POST /api/admin/models', () => {
    it('registers with the admin token and answers 200 with the model', async () => {
      const { status, body } = await http('POST', '/api/admin/models', {
        headers: admin,
        body: registration({ model_id: 'acme-claude', provider: 'anthropic', capabilities: ['chat'] }),
      });
      expect(status).toBe(200);
      expect(body.id).toBe('acme-claude');
      expect(JSON.stringify(body)).not.toContain(SECRET);
      const listed = await http('GET', '/api/models?provider=anthropic');
      expect(listed.body.models.map((m: { id: string }) => m.id)).toContain('acme-claude');
      const [row] = await service.sql.query(`SELECT api_key_sealed FROM models WHERE id = 'acme-claude'`);
      expect(row.api_key_sealed).not.toContain(SECRET);
    });

    it('registers one model when several first registrations of its id arrive at once', async () => {
      const responses = await Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          http('POST', '/api/admin/models', { headers: admin, body: registration({ model_id: 'raced', provider: 'openai', capabilities: ['chat'], metadata: { version: `v${n}` } }) }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const rows = await service.sql.query(`SELECT id FROM models WHERE id = 'raced'`);
      expect(rows).toHaveLength(1);
    });

    it('answers 400 naming a negative or non-numeric cache price, registering nothing', async () => {
      const negative = await http('POST', '/api/admin/models', {
        headers: admin,
        body: registration({ model_id: 'bad-cache-price', properties: { pricing: { input: 0.001, output: 0.002, cached_input: -0.0001, cache_write: 'cheap' } } }),
      });
      expect(negative.status).toBe(400);
      expect(negative.body.error.code).toBe('validation_failed');
      expect(Object.keys(negative.body.error.details.fields).sort()).toEqual(['properties.pricing.cache_write', 'properties.pricing.cached_input']);
      expect(negative.body.error.details.fields['properties.pricing.cached_input']).toEqual([expect.stringContaining('0')]);
      const [{ n }] = await service.sql.query(`SELECT count(*)::int AS n FROM models WHERE id = 'bad-cache-price'`);
      expect(n).toBe(0);
    });

    it('answers 401 without a token and 403 with a wrong one, registering nothing', async () => {
      const body = registration({ model_id: 'intruder' });
      const missing = await http('POST', '/api/admin/models', { body });
      expect(missing.status).toBe(401);
      expect(missing.body.error.code).toBe('unauthorized');
      const wrong = await http('POST', '/api/admin/models', { body, headers: { authorization: 'Bearer not-the-admin-token' } });
      expect(wrong.status).toBe(403);
      expect(wrong.body.error.code).toBe('forbidden');
      const [{ n }] = await service.sql.query(`SELECT count(*)::int AS n FROM models WHERE id = 'intruder'`);
      expect(n).toBe(0);
    });

    it('answers 400 naming each bad field, for malformed JSON and for an oversized body', async () => {
      const invalid = await http('POST', '/api/admin/models', { headers: admin, body: { model_id: 'x', capabilities: 'chat', extra: 1 } });
      expect(invalid.status).toBe(400);
      expect(Object.keys(invalid.body.error.details.fields).sort()).toEqual(['capabilities', 'extra', 'provider']);

      const malformed = await http('POST', '/api/admin/models', { headers: admin, rawBody: '{"model_id": ' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('validation_failed');
      expect(malformed.body.error.details.fields.body).toEqual([expect.stringContaining('must be valid JSON')]);

      const huge = await http('POST', '/api/admin/models', {
        headers: admin,
        body: registration({ metadata: { description: 'x'.repeat(2 * 1024 * 1024) } }),
      });
      expect(huge.status).toBe(400);
      expect(huge.body.error.code).toBe('payload_too_large');
    });
  });

  it('answers an unknown route with 404 in the SPEC error shape', async () => {
    const { status, body } = await http('GET', '/api/nothing-here');
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'not_found', message: expect.any(String), details: {} } });
  });
});

describe('admin endpoints without ADMIN_TOKEN', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp({ ADMIN_TOKEN: '' });
  });

  afterAll(async () => {
    await service.close();
  });

  it('refuse every call, whatever token is sent', async () => {
    const { status, body } = await request(service.baseUrl, 'POST', '/api/admin/models', {
      headers: { authorization: 'Bearer anything-at-all-here' },
      body: registration(),
    });
    expect(status).toBe(403);
    expect(body.error.code).toBe('admin_disabled');
  });
});

describe('model availability from credentials', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp({ OPENAI_API_KEY: 'sk-from-the-environment-123', OLLAMA_BASE_URL: 'http://127.0.0.1:11434' });
  });

  afterAll(async () => {
    await service.close();
  });

  it('marks models available where the environment gives their provider credentials or endpoint, and no others', async () => {
    const { body } = await request(service.baseUrl, 'GET', '/api/models');
    const availability = (id: string) => body.models.find((m: { id: string }) => m.id === id).metadata;
    expect(availability('gpt-4o')).toEqual(expect.objectContaining({ available: true }));
    expect(availability('llama3.1:8b')).toEqual(expect.objectContaining({ available: true }));
    expect(availability('claude-sonnet-4-20250514')).toEqual(
      expect.objectContaining({ available: false, unavailable_reason: expect.stringContaining('ANTHROPIC_API_KEY') }),
    );
    expect(JSON.stringify(body)).not.toContain('sk-from-the-environment');
  });
});
