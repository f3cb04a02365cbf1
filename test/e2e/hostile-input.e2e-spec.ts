import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Command } from '../../src/events/patterns';
import { casesFor, Endpoint, HostileCase, withValue } from '../support/hostile-bodies';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

const requestFields = [
  { path: 'model_id', kind: 'string' },
  { path: 'max_tokens', kind: 'integer' },
  { path: 'temperature', kind: 'number' },
  { path: 'task_type', kind: 'string' },
  { path: 'requirements', kind: 'object' },
  { path: 'requirements.reliability', kind: 'number' },
  { path: 'requirements.creativity', kind: 'number' },
  { path: 'requirements.capabilities', kind: 'stringArray' },
  { path: 'requirements.min_quality_score', kind: 'number' },
  { path: 'requirements.max_cost_per_1k', kind: 'number', unbounded: true },
  { path: 'context', kind: 'objectArray' },
  { path: 'context.0.type', kind: 'string', required: true },
  { path: 'context.0.content', kind: 'string', required: true },
  { path: 'context.0.metadata', kind: 'freeObject' },
  { path: 'metadata', kind: 'object' },
  { path: 'metadata.user_id', kind: 'string' },
  { path: 'metadata.project_id', kind: 'string' },
  { path: 'metadata.task_id', kind: 'string' },
  { path: 'stream', kind: 'boolean' },
  { path: 'fallback', kind: 'boolean' },
  { path: 'async', kind: 'boolean' },
] as const;

/** Valid except for what each case breaks; no model_id, so a body that got through would reach routing and get 503. */
const requestBody = {
  max_tokens: 16,
  temperature: 0.5,
  task_type: 'creative',
  requirements: { reliability: 0.5, creativity: 0.5, capabilities: ['chat'], min_quality_score: 0.1, max_cost_per_1k: 1 },
  context: [{ type: 'text', content: 'some context', metadata: { source: 'notes' } }],
  metadata: { user_id: 'user-1', project_id: 'project-1', task_id: 'task-1' },
  stream: false,
  fallback: true,
};

/** Tools and response formats, on both chat endpoints. */
const toolBody = {
  tools: [{ type: 'function', function: { name: 'lookup', description: 'Look up', parameters: { type: 'object' } } }],
  tool_choice: 'auto',
  response_format: { type: 'json_object' },
};
const toolFields = [
  { path: 'tools', kind: 'objectArray' },
  { path: 'tools.0.type', kind: 'string', required: true },
  { path: 'tools.0.function', kind: 'object', required: true },
  { path: 'tools.0.function.name', kind: 'string', required: true },
  { path: 'tools.0.function.description', kind: 'string' },
  { path: 'tools.0.function.parameters', kind: 'object' },
  { path: 'tool_choice', kind: 'string' },
  { path: 'response_format', kind: 'object' },
  { path: 'response_format.type', kind: 'string', required: true },
] as const;

const generationFields = [
  { path: 'max_tokens', kind: 'integer' },
  { path: 'temperature', kind: 'number' },
  { path: 'stream', kind: 'boolean' },
  { path: 'stream_options', kind: 'object' },
  { path: 'stream_options.include_usage', kind: 'boolean' },
  { path: 'user', kind: 'string' },
  { path: 'n', kind: 'integer' },
] as const;

const generationBody = { max_tokens: 8, temperature: 0.5, stream: false, stream_options: { include_usage: true }, user: 'user-1', n: 1 };

const ENDPOINTS: Endpoint[] = [
  {
    path: '/api/models/completion',
    family: 'api',
    valid: { prompt: 'Write a haiku', ...requestBody },
    fields: [{ path: 'prompt', kind: 'string', required: true }, ...requestFields],
    longArrays: { context: { type: 'text', content: 'c' }, 'requirements.capabilities': 'chat' },
  },
  {
    path: '/api/models/chat',
    family: 'api',
    valid: { messages: [{ role: 'user', content: 'Hello' }], ...requestBody, ...toolBody },
    fields: [
      { path: 'messages', kind: 'objectArray', required: true },
      { path: 'messages.0.role', kind: 'string', required: true },
      { path: 'messages.0.content', kind: 'messageContent', required: true },
      ...requestFields,
      ...toolFields,
    ],
    longArrays: { messages: { role: 'user', content: 'Hello' } },
  },
  {
    path: '/api/models/embeddings',
    family: 'api',
    valid: { texts: ['alpha'], dimensions: 8 },
    fields: [
      { path: 'texts', kind: 'stringArray', required: true },
      { path: 'model_id', kind: 'string' },
      { path: 'dimensions', kind: 'integer' },
    ],
    longArrays: { texts: 'alpha' },
  },
  {
    path: '/api/models/feedback',
    family: 'api',
    valid: {
      request_id: 'no-such-request',
      success: true,
      quality_rating: 0.5,
      feedback: 'Fine',
      corrections: { original: 'a', corrected: 'b' },
      metadata: { user_id: 'user-1', task_id: 'task-1' },
    },
    fields: [
      { path: 'request_id', kind: 'string', required: true },
      { path: 'success', kind: 'boolean', required: true },
      { path: 'quality_rating', kind: 'number' },
      { path: 'feedback', kind: 'string' },
      { path: 'corrections', kind: 'object' },
      { path: 'corrections.original', kind: 'string' },
      { path: 'corrections.corrected', kind: 'string' },
      { path: 'metadata', kind: 'object' },
      { path: 'metadata.user_id', kind: 'string' },
      { path: 'metadata.task_id', kind: 'string' },
    ],
  },
  {
    path: '/api/admin/models',
    family: 'api',
    headers: admin,
    valid: {
      model_id: 'hostile-probe',
      provider: 'openai',
      capabilities: ['chat'],
      performance_baseline: { quality_score: 0.5, task_specific: { general: 0.5 } },
      configuration: { api_url: 'http://127.0.0.1:9/v1', api_key: 'sk-probe', options: { model: 'x' } },
      properties: { context_length: 1000, token_limit: 100, pricing: { input: 0.001, output: 0.002, cached_input: 0.0001, cache_write: 0.00125 } },
      metadata: { version: '1', description: 'A probe' },
    },
    fields: [
      { path: 'model_id', kind: 'string', required: true },
      { path: 'provider', kind: 'string', required: true },
      { path: 'capabilities', kind: 'stringArray', required: true },
      { path: 'performance_baseline', kind: 'object' },
      { path: 'performance_baseline.quality_score', kind: 'number' },
      { path: 'performance_baseline.task_specific', kind: 'scoreMap' },
      { path: 'configuration', kind: 'object' },
      { path: 'configuration.api_key', kind: 'string' },
      { path: 'configuration.api_url', kind: 'string' },
      { path: 'configuration.options', kind: 'freeObject' },
      { path: 'properties', kind: 'object' },
      { path: 'properties.context_length', kind: 'integer' },
      { path: 'properties.token_limit', kind: 'integer' },
      { path: 'properties.pricing', kind: 'object' },
      { path: 'properties.pricing.input', kind: 'number', unbounded: true },
      { path: 'properties.pricing.output', kind: 'number', unbounded: true },
      { path: 'properties.pricing.cached_input', kind: 'number', unbounded: true },
      { path: 'properties.pricing.cache_write', kind: 'number', unbounded: true },
      { path: 'metadata', kind: 'object' },
      { path: 'metadata.version', kind: 'string' },
      { path: 'metadata.description', kind: 'string' },
    ],
    longArrays: { capabilities: 'chat' },
  },
  {
    path: '/api/admin/performance/reset',
    family: 'api',
    headers: admin,
    valid: { model_id: 'no-such-model', task_types: ['general'] },
    fields: [
      { path: 'model_id', kind: 'string', required: true },
      { path: 'task_types', kind: 'stringArray' },
    ],
    longArrays: { task_types: 'general' },
  },
  { path: '/api/admin/requests/no-such-request/cancel', family: 'api', headers: admin, valid: null, fields: [] },
  { path: '/api/admin/performance/rollup', family: 'api', headers: admin, valid: null, fields: [] },
  {
    path: '/v1/chat/completions',
    family: 'v1',
    valid: {
      model: 'auto',
      messages: [{ role: 'user', content: 'Hello' }],
      ...generationBody,
      max_completion_tokens: 8,
      metadata: { project_id: 'project-1', task_id: 'task-1' },
      logprobs: false,
      functions: [],
      ...toolBody,
    },
    fields: [
      { path: 'model', kind: 'string', required: true },
      { path: 'messages', kind: 'objectArray', required: true },
      { path: 'messages.0.role', kind: 'string', required: true },
      { path: 'messages.0.content', kind: 'messageContent', required: true },
      ...generationFields,
      { path: 'max_completion_tokens', kind: 'integer' },
      { path: 'metadata', kind: 'object' },
      { path: 'metadata.project_id', kind: 'string' },
      { path: 'metadata.task_id', kind: 'string' },
      { path: 'logprobs', kind: 'boolean' },
      { path: 'functions', kind: 'emptyArray' },
      ...toolFields,
    ],
    longArrays: { messages: { role: 'user', content: 'Hello' } },
  },
  {
    path: '/v1/completions',
    family: 'v1',
    valid: { model: 'auto', prompt: 'Once upon a time', ...generationBody, echo: false, best_of: 1, logprobs: 0 },
    fields: [
      { path: 'model', kind: 'string', required: true },
      { path: 'prompt', kind: 'textInput', required: true },
      ...generationFields,
      { path: 'echo', kind: 'boolean' },
      { path: 'best_of', kind: 'integer' },
    ],
    longArrays: { prompt: 'Once' },
  },
  {
    path: '/v1/embeddings',
    family: 'v1',
    valid: { model: 'auto', input: ['alpha'], dimensions: 8, encoding_format: 'float' },
    fields: [
      { path: 'model', kind: 'string', required: true },
      { path: 'input', kind: 'textInput', required: true },
      { path: 'dimensions', kind: 'integer' },
      { path: 'encoding_format', kind: 'string' },
    ],
    longArrays: { input: 'alpha' },
  },
];

function validBodyOf(path: string): Record<string, unknown> {
  return ENDPOINTS.find((e) => e.path === path)!.valid!;
}

/** Made before the app starts: made between requests, they would leave its kept-alive connections idle past its timeout. */
const cases = ENDPOINTS.flatMap(casesFor);

interface Answer {
  status: number;
  body: any;
  bytes: number;
  ms: number;
}

describe('hostile input', () => {
  let service: TestApp;

  const send = async (path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> => {
    const started = performance.now();
    const allHeaders: Record<string, string> = { 'content-type': 'application/json', ...headers };
    // An empty Content-Type means none at all; fetch adds text/plain to a string body, not to bytes.
    if (allHeaders['content-type'] === '') delete allHeaders['content-type'];
    const response = await fetch(`${service.baseUrl}${path}`, {
      method: 'POST',
      headers: allHeaders,
      body: allHeaders['content-type'] === undefined ? Buffer.from(body) : body,
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed, bytes: Buffer.byteLength(text), ms: performance.now() - started };
  };

  beforeAll(async () => {
    service = await startTestApp();
  });

  afterAll(async () => {
    await service.close();
  });

  it('answers a valid body on each endpoint past validation, so a case that gets through is seen', async () => {
    const statuses = await Promise.all(
      ENDPOINTS.filter((e) => e.valid).map(async (e) => [e.path, (await send(e.path, JSON.stringify(e.valid), e.headers)).status]),
    );
    expect(Object.fromEntries(statuses)).toEqual({
      '/api/models/completion': 503,
      '/api/models/chat': 503,
      '/api/models/embeddings': 503,
      '/api/models/feedback': 404,
      '/api/admin/models': 200,
      '/api/admin/performance/reset': 404,
      '/v1/chat/completions': 503,
      '/v1/completions': 503,
      '/v1/embeddings': 503,
    });
  });

  it('answers every malformed body on every POST endpoint with a 4xx in the shape of its path family, and stays up', async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();

    await inParallel(cases, 4, async (c) => {
      const answer = await send(c.endpoint.path, c.body, { ...c.endpoint.headers, ...c.headers }).catch((error: Error) => ({ error }));
      if ('error' in answer) {
        failures.push(`${c.endpoint.path} ${c.name}: no answer (${(answer.error.cause as Error | undefined)?.message ?? answer.error.message})`);
        return;
      }
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const problem = problemWith(c, answer);
      if (problem) failures.push(`${c.endpoint.path} ${c.name}: ${problem}`);
    });

    expect(failures).toEqual([]);
    expect(cases.length).toBeGreaterThan(500);
    // Every status the sweep saw: 400 for what the body says, 415 for how it is encoded.
    expect([...statuses.keys()].sort()).toEqual([400, 415]);
    expect((await fetch(`${service.baseUrl}/health`)).status).toBe(200);
  }, 120_000);

  describe('answers precisely', () => {
    const chat = validBodyOf('/api/models/chat');
    const v1Chat = validBodyOf('/v1/chat/completions');

    it('NUL in metadata.user_id: 400 naming metadata.user_id, before any model is asked', async () => {
      const { status, body } = await send('/api/models/chat', JSON.stringify(withValue(chat, 'metadata.user_id', 'user\u0000one')));
      expect(status).toBe(400);
      expect(body.error).toEqual({
        code: 'validation_failed',
        message: 'Invalid request: metadata.user_id',
        details: { fields: { 'metadata.user_id': ['must not contain NUL characters (\\u0000) or unpaired UTF-16 surrogates'] } },
      });
    });

    it('a lone surrogate in the /v1 user field: 400 in OpenAI shape with param user', async () => {
      const { status, body } = await send('/v1/chat/completions', JSON.stringify({ ...v1Chat, user: '\udead' }));
      expect(status).toBe(400);
      expect(body).toEqual({
        error: { message: expect.stringContaining('user: must not contain'), type: 'invalid_request_error', param: 'user', code: 'validation_failed' },
      });
    });

    it('metadata given as an array or a string: 400 naming metadata', async () => {
      for (const metadata of [[], [{ user_id: 'u' }], 'user-1']) {
        const { status, body } = await send('/api/models/chat', JSON.stringify({ ...chat, metadata }));
        expect(status).toBe(400);
        expect(Object.keys(body.error.details.fields)).toEqual(['metadata']);
        expect(body.error.details.fields.metadata).toContain('metadata must be an object');
      }
    });

    it('messages holding arrays or strings: 400 naming messages', async () => {
      const { status, body } = await send('/api/models/chat', JSON.stringify({ ...chat, messages: [[{ role: 'user', content: 'Hi' }], 'Hi'] }));
      expect(status).toBe(400);
      expect(body.error.details.fields.messages).toContain('each item of messages must be an object');
    });

    it('an unknown Content-Encoding: 415 unsupported_media_type, in each family shape', async () => {
      const api = await send('/api/models/chat', JSON.stringify(chat), { 'content-encoding': 'zstd' });
      expect(api.status).toBe(415);
      expect(api.body.error).toEqual({
        code: 'unsupported_media_type',
        message: expect.stringContaining('Content-Encoding'),
        details: { fields: { 'Content-Encoding': [expect.any(String)] } },
      });
      const v1 = await send('/v1/chat/completions', JSON.stringify(v1Chat), { 'content-encoding': 'x-unknown' });
      expect(v1.status).toBe(415);
      expect(v1.body).toEqual({
        error: { message: expect.any(String), type: 'invalid_request_error', param: 'Content-Encoding', code: 'unsupported_media_type' },
      });
    });

    it('arrays 10,000 deep: 400 naming where the nesting goes too deep', async () => {
      const deep = `{"metadata": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
      const { status, body } = await send('/api/models/chat', deep);
      expect(status).toBe(400);
      const [field] = Object.keys(body.error.details.fields);
      expect(field).toMatch(/^metadata(\.0)+$/);
      expect(body.error.details.fields[field]).toEqual(['nests objects and arrays more than 64 levels deep']);
    });

    it('100,000 keys: refused quickly, before class-transformer spends seconds on them, in a small answer', async () => {
      const keys = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [i.toString(36), 0]));
      const { status, body, bytes, ms } = await send('/api/models/chat', JSON.stringify({ ...chat, ...keys }));
      expect(status).toBe(400);
      expect(body.error.details).toEqual({ fields: { body: ['takes the body past 10000 values (objects, arrays, strings, numbers, booleans, nulls)'] } });
      expect(bytes).toBeLessThan(1000);
      expect(ms).toBeLessThan(5000);
    });

    it('5,000 bad fields: the first 20 listed and the rest counted', async () => {
      const keys = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 0]));
      const { status, body, bytes } = await send('/api/models/chat', JSON.stringify({ ...chat, ...keys }));
      expect(status).toBe(400);
      expect(Object.keys(body.error.details.fields)).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
      expect(body.error.details.omitted_fields).toBe(5000 - 20);
      expect(body.error.message).toMatch(/^Invalid request: k0, k1, .*, k19 and 4980 more$/);
      expect(bytes).toBeLessThan(5000);
    });

    it('a JSON syntax error, a too-large body and an unknown route under /v1: OpenAI shape', async () => {
      const syntax = await send('/v1/chat/completions', '{"model": ');
      expect(syntax.status).toBe(400);
      expect(syntax.body).toEqual({ error: { message: expect.stringContaining('must be valid JSON'), type: 'invalid_request_error', param: 'body', code: 'validation_failed' } });

      const large = await send('/v1/embeddings', JSON.stringify({ model: 'auto', input: 'x'.repeat(1_100_000) }));
      expect(large.status).toBe(400);
      expect(large.body.error).toMatchObject({ type: 'invalid_request_error', param: 'body', code: 'payload_too_large' });

      const unknown = await fetch(`${service.baseUrl}/v1/no-such-route`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'not_found' } });

      const apiUnknown = await fetch(`${service.baseUrl}/v1x/no-such-route`);
      expect(((await apiUnknown.json()) as any).error).toEqual({ code: 'not_found', message: expect.any(String), details: {} });
    });

    it('__proto__ and constructor keys: 400 naming them, rather than dropped or followed', async () => {
      const { status, body } = await send('/api/models/completion', '{"__proto__": {"prompt": "Write a haiku"}, "metadata": {"constructor": {}}}');
      expect(status).toBe(400);
      expect(Object.keys(body.error.details.fields)).toEqual(['__proto__', 'metadata.constructor']);
    });

    it('a gzip body is read as JSON, and a gzip bomb stops at the body limit', async () => {
      const { gzipSync } = await import('node:zlib');
      const registered = await send(
        '/api/admin/models',
        gzipSync(JSON.stringify({ model_id: 'gzipped-probe', provider: 'openai', capabilities: ['chat'] })),
        { ...admin, 'content-encoding': 'gzip' },
      );
      expect(registered.status).toBe(200);
      const bomb = await send('/api/admin/models', gzipSync(Buffer.alloc(50 * 1024 * 1024)), { ...admin, 'content-encoding': 'gzip' });
      expect(bomb.status).toBe(400);
      expect(bomb.body.error.code).toBe('payload_too_large');
    });
  });

  describe('Redis commands', () => {
    let redis: Redis;
    let replies: Redis;

    beforeAll(async () => {
      redis = new Redis(service.config.redis);
      replies = new Redis(service.config.redis);
      await replies.subscribe(...Object.values(Command).map((pattern) => `${pattern}.reply`));
    });

    afterAll(async () => {
      await Promise.all([redis.quit(), replies.quit()]);
    });

    /** A command in Nest's Redis envelope, its `data` written as given: a client's JSON.stringify could not write 10,000 levels. */
    const command = async (pattern: string, data: string): Promise<any> => {
      const id = randomUUID();
      const reply = new Promise<any>((resolve) => {
        const onMessage = (_channel: string, message: string) => {
          const packet = JSON.parse(message);
          if (packet.id !== id) return;
          replies.off('message', onMessage);
          resolve(packet);
        };
        replies.on('message', onMessage);
      });
      await redis.publish(pattern, `{"pattern": ${JSON.stringify(pattern)}, "id": "${id}", "data": ${data}}`);
      return reply;
    };

    const deepArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const registration = (extra: string) => `{"model_id": "m", "provider": "openai", "capabilities": ["chat"]${extra}}`;

    it.each([
      ['a payload nested 10,000 deep', Command.RegisterModel, registration(`, "configuration": {"options": {"x": ${deepArrays(10_000)}}}`), /^configuration\.options\.x(\.0)+$/],
      ['a request id nested 10,000 deep', Command.CancelRequest, `{"request_id": ${deepArrays(10_000)}}`, /^request_id(\.0)+$/],
      ['NUL in model_id', Command.RegisterModel, '{"model_id": "m\\u0000", "provider": "openai", "capabilities": ["chat"]}', /^model_id$/],
      ['metadata given as an array', Command.RegisterModel, registration(', "metadata": []'), /^metadata$/],
      ['a lone surrogate in a task type', Command.ResetPerformance, '{"model_id": "m", "task_types": ["\\ud800"]}', /^task_types\.0$/],
      ['a __proto__ key', Command.ResetPerformance, '{"model_id": "m", "__proto__": {"task_types": ["x"]}}', /^__proto__$/],
      ['100,000 keys', Command.RegisterModel, registration(`, "metadata": ${JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 0])))}`), /^metadata$/],
    ])('answers %s with a structured validation_failed error', async (_name, pattern, data, field) => {
      const packet = await command(pattern, data);
      expect(packet.err).toEqual({ code: 'validation_failed', message: expect.any(String), details: { fields: expect.any(Object) } });
      expect(Object.keys(packet.err.details.fields)).toEqual([expect.stringMatching(field)]);
    });

    it('lists 20 of 5,000 bad fields and counts the rest', async () => {
      const tooLong = Array.from({ length: 5000 }, (_, i) => `"k${i}": "x${'\\u0000'}"`).join(', ');
      const packet = await command(Command.RegisterModel, registration(`, "metadata": {${tooLong}}`));
      expect(packet.err.code).toBe('validation_failed');
      expect(Object.keys(packet.err.details.fields)).toHaveLength(20);
      expect(packet.err.details.omitted_fields).toBe(5000 - 20);
    });
  });
});

/** What is wrong with an answer to a hostile case, or null. */
function problemWith(c: HostileCase, answer: Answer): string | null {
  const seen = `${answer.status} ${String(JSON.stringify(answer.body)).slice(0, 300)}`;
  if (answer.status !== c.expect.status) return `expected ${c.expect.status} ${c.expect.code}, got ${seen}`;
  const error = answer.body?.error;
  if (c.endpoint.family === 'api') {
    const shapeOk =
      typeof error?.code === 'string' && typeof error.message === 'string' && typeof error.details === 'object' && Object.keys(error).length === 3;
    if (!shapeOk) return `not the /api error shape: ${seen}`;
    if (error.code !== c.expect.code) return `expected code ${c.expect.code}, got ${seen}`;
    const fields = Object.keys(error.details.fields ?? {});
    if (fields.length === 0) return `no field named: ${seen}`;
    if (c.expect.field !== undefined && !fields.some((f) => f.startsWith(c.expect.field!))) return `field ${c.expect.field} not named: ${seen}`;
    return null;
  }
  const shapeOk =
    typeof error?.message === 'string' &&
    typeof error.type === 'string' &&
    'param' in error &&
    'code' in error &&
    Object.keys(answer.body).length === 1 &&
    Object.keys(error).length === 4;
  if (!shapeOk) return `not OpenAI's error shape: ${seen}`;
  if (error.code !== c.expect.code || error.type !== 'invalid_request_error') return `expected code ${c.expect.code}, got ${seen}`;
  if (typeof error.param !== 'string') return `no param named: ${seen}`;
  if (c.expect.field !== undefined && !error.message.includes(c.expect.field)) return `field ${c.expect.field} not named: ${seen}`;
  return null;
}

async function inParallel<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
