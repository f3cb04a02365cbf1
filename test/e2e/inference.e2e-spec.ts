import { freePort } from '../../scripts/lib/processes';
import { EventName } from '../../src/events/event-contracts';
import { EventListener } from '../support/event-listener';
import { registerModel } from '../support/factories';
import { startFakeAnthropic } from '../support/fake-anthropic';
import { FakeOllama } from '../support/fake-ollama';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';
import { TINY_MODEL } from '../support/paths';

const OPENAI_KEY = 'sk-test-openai-key-never-logged';

describe('completion and chat', () => {
  let service: TestApp;
  let openai: FakeServer;
  let anthropic: FakeServer;
  let ollama: FakeOllama;
  let events: EventListener;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    request(service.baseUrl, 'POST', path, { body, headers });

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    anthropic = await startFakeAnthropic();
    ollama = await FakeOllama.start();
    service = await startTestApp({ LOCAL_MODEL_PATH: TINY_MODEL });
    events = await EventListener.start(`redis://${service.config.redis.host}:${service.config.redis.port}`);
    const deadPort = await freePort();
    await registerModel(service, {
      model_id: 'oa-coder',
      provider: 'openai',
      capabilities: ['chat', 'code'],
      api_url: openai.url,
      api_key: OPENAI_KEY,
      quality: 0.8,
      task_specific: { code_generation: 0.9 },
      pricing: { input: 0.001, output: 0.002 },
    });
    await registerModel(service, {
      model_id: 'oa-backup',
      provider: 'openai',
      capabilities: ['chat'],
      api_url: openai.url,
      api_key: OPENAI_KEY,
      quality: 0.6,
      pricing: { input: 0.0005, output: 0.001 },
    });
    await registerModel(service, {
      model_id: 'claude-thinker',
      provider: 'anthropic',
      capabilities: ['chat', 'reasoning'],
      api_url: anthropic.url,
      api_key: 'sk-ant-test-key-0000',
      quality: 0.7,
      pricing: { input: 0.003, output: 0.015 },
    });
    await registerModel(service, {
      model_id: 'ol-llama',
      provider: 'ollama',
      capabilities: ['chat', 'completion', 'creative'],
      api_url: ollama.url,
      quality: 0.4,
      options: { model: 'llama3.1:8b' },
    });
    await registerModel(service, {
      model_id: 'oa-unreachable',
      provider: 'openai',
      capabilities: ['chat', 'planning'],
      api_url: `http://127.0.0.1:${deadPort}/v1`,
      api_key: OPENAI_KEY,
      quality: 0.1,
    });
    await registerModel(service, {
      model_id: 'oa-tiny-context',
      provider: 'openai',
      capabilities: ['chat', 'tiny'],
      api_url: openai.url,
      api_key: OPENAI_KEY,
      context_length: 64,
      token_limit: 32,
    });
  });

  afterAll(async () => {
    await events.close();
    await service.close();
    await openai.close();
    await anthropic.close();
    await ollama.close();
  });

  beforeEach(() => {
    openai.reset();
    anthropic.reset();
  });

  describe('POST /api/models/completion', () => {
    it('answers with the SPEC body, cost from registered prices, and records the request', async () => {
      openai.behave('oa-coder', { text: 'def add(a, b): return a + b', usage: { input: 40, output: 12 }, logprobs: [-0.1, -0.2, -0.3, -0.1, -0.2, -0.1, -0.2] });
      const { status, headers, body } = await post(
        '/api/models/completion',
        { prompt: 'Write add in Python', model_id: 'oa-coder', task_type: 'code_generation', max_tokens: 100, metadata: { user_id: 'u1', project_id: 'p1', task_id: 't1' } },
        { 'X-Request-Id': 'req-completion-1' },
      );

      expect(status).toBe(200);
      expect(headers.get('x-request-id')).toBe('req-completion-1');
      expect(body).toEqual({
        completion_id: 'req-completion-1',
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        model: { id: 'oa-coder', provider: 'openai' },
        content: 'def add(a, b): return a + b',
        usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52, estimated_cost: 0.000064 },
        performance: { quality_score: 0.9, success_rate: 0.9, confidence: expect.any(Number) },
        metadata: { finish_reason: 'stop', model_specific: expect.any(Object), task_type: 'code_generation' },
      });
      expect(body.performance.confidence).toBeCloseTo(Math.exp(-1.2 / 7), 10);
      // A chat-only model reads the prompt as one user message.
      expect(openai.requests[0].body.messages).toEqual([{ role: 'user', content: 'Write add in Python' }]);
      expect(openai.requests[0].body.max_tokens ?? openai.requests[0].body.max_completion_tokens).toBe(100);

      const [row] = await service.sql.query(`SELECT * FROM inference_requests WHERE id = 'req-completion-1'`);
      expect(row).toMatchObject({
        kind: 'completion',
        status: 'completed',
        task_type: 'code_generation',
        requested_model_id: 'oa-coder',
        model_id: 'oa-coder',
        provider: 'openai',
        attempts: [],
        prompt_tokens: 40,
        completion_tokens: 12,
        total_tokens: 52,
        cost: 0.000064,
        finish_reason: 'stop',
        error: null,
        metadata: { user_id: 'u1', project_id: 'p1', task_id: 't1' },
      });
      expect(row.response).toEqual(body);

      const event = await events.waitFor(EventName.RequestCompleted, (e) => e.request_id === 'req-completion-1');
      expect(event).toEqual({
        request_id: 'req-completion-1',
        model_id: 'oa-coder',
        user_id: 'u1',
        project_id: 'p1',
        task_id: 't1',
        task_type: 'code_generation',
        timestamp: expect.any(String),
        metrics: {
          latency_ms: expect.any(Number),
          tokens: { prompt: 40, completion: 12, total: 52 },
          cost: 0.000064,
          performance: { quality_score: 0.9, confidence: body.performance.confidence },
        },
      });
      expect(JSON.stringify(event)).not.toContain(OPENAI_KEY);
    });

    it('puts context items before the prompt in the documented format', async () => {
      await post('/api/models/completion', {
        prompt: 'Explain this',
        model_id: 'oa-coder',
        context: [{ type: 'code', content: 'x = 1', metadata: { filename: 'a.py' } }],
      });
      expect(openai.requests[0].body.messages[0].content).toBe('<context type="code" filename="a.py">\nx = 1\n</context>\n\nExplain this');
    });

    it('runs the local GGUF model in-process with real token counts', async () => {
      const { status, body } = await post('/api/models/completion', { prompt: 'Once upon a time', model_id: 'stories260k', max_tokens: 12, temperature: 0 });
      expect(status).toBe(200);
      expect(body.model).toEqual({ id: 'stories260k', provider: 'local' });
      expect(body.content.length).toBeGreaterThan(0);
      expect(body.usage.prompt_tokens).toBeGreaterThan(0);
      expect(body.usage.completion_tokens).toBeGreaterThan(0);
      expect(body.usage.completion_tokens).toBeLessThanOrEqual(12);
      expect(body.usage.estimated_cost).toBe(0);
    });
  });

  describe('POST /api/models/chat', () => {
    it('answers through the Anthropic protocol with the system prompt split out', async () => {
      anthropic.behave('claude-thinker', { text: 'Because the sky scatters blue light.', usage: { input: 20, output: 8 } });
      const { status, body } = await post('/api/models/chat', {
        model_id: 'claude-thinker',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Why is the sky blue?' },
        ],
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        model: { id: 'claude-thinker', provider: 'anthropic' },
        content: 'Because the sky scatters blue light.',
        usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28, estimated_cost: 0.00018 },
        performance: { quality_score: 0.7, success_rate: 0.9, confidence: null },
        metadata: { finish_reason: 'stop', task_type: 'general' },
      });
      expect(anthropic.requests[0].body.system).toBe('Be brief.');
      expect(anthropic.requests[0].body.messages).toEqual([{ role: 'user', content: 'Why is the sky blue?' }]);
    });
  });

  describe('Ollama protocol', () => {
    it('sends a completion to /api/generate under the provider-side model name, with Ollama token counts', async () => {
      ollama.behave('llama3.1:8b', { reply: 'The sea is wide.', promptEvalCount: 9, evalCount: 5 });
      const { status, body } = await post('/api/models/completion', { model_id: 'ol-llama', prompt: 'Write about the sea', task_type: 'creative' });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        model: { id: 'ol-llama', provider: 'ollama' },
        content: 'The sea is wide.',
        usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14, estimated_cost: 0 },
        performance: { quality_score: 0.4, success_rate: 0.9 },
        metadata: { finish_reason: 'stop', task_type: 'creative' },
      });
      const sent = ollama.requests[ollama.requests.length - 1];
      expect(sent.path).toBe('/api/generate');
      expect(sent.body).toMatchObject({ model: 'llama3.1:8b', prompt: 'Write about the sea' });
    });
  });

  describe('routing without model_id', () => {
    it('picks the best model that has the required capabilities', async () => {
      anthropic.behave('claude-thinker', { text: 'Reasoned.' });
      const { body } = await post('/api/models/chat', { messages: [{ role: 'user', content: 'Think' }], requirements: { capabilities: ['reasoning'] } });
      expect(body.model.id).toBe('claude-thinker');

      const code = await post('/api/models/chat', { messages: [{ role: 'user', content: 'Code' }], task_type: 'code_generation', requirements: { capabilities: ['code'] } });
      expect(code.body.model.id).toBe('oa-coder');
    });

    it('skips models below min_quality_score and models whose context is too small', async () => {
      const quality = await post('/api/models/chat', {
        messages: [{ role: 'user', content: 'hi' }],
        requirements: { capabilities: ['tiny'] },
      });
      expect(quality.body.model.id).toBe('oa-tiny-context');

      const tooLong = await post('/api/models/chat', {
        messages: [{ role: 'user', content: 'word '.repeat(200) }],
        requirements: { capabilities: ['tiny'] },
      });
      expect(tooLong.status).toBe(503);
      const rejectedTiny = (body: any) => body.error.details.rejected.find((r: { model_id: string }) => r.model_id === 'oa-tiny-context');
      expect(rejectedTiny(tooLong.body).reason).toContain('exceeds its context length 64');

      const picky = await post('/api/models/chat', { messages: [{ role: 'user', content: 'hi' }], requirements: { capabilities: ['tiny'], min_quality_score: 0.9 } });
      expect(picky.status).toBe(503);
      expect(rejectedTiny(picky.body).reason).toContain('below min_quality_score 0.9');
    });

    it('leaves out models above requirements.max_cost_per_1k', async () => {
      const { status, body } = await post('/api/models/chat', {
        messages: [{ role: 'user', content: 'Think' }],
        requirements: { capabilities: ['reasoning'], max_cost_per_1k: 0.0001 },
      });
      expect(status).toBe(503);
      const claude = body.error.details.rejected.find((r: { model_id: string }) => r.model_id === 'claude-thinker');
      expect(claude.reason).toContain('above max_cost_per_1k 0.0001');
    });

    it('answers 503 with a clear message when nothing can serve the request', async () => {
      const { status, body } = await post('/api/models/chat', { messages: [{ role: 'user', content: 'hi' }], requirements: { capabilities: ['telepathy'] } });
      expect(status).toBe(503);
      expect(body.error.code).toBe('no_model_available');
      expect(body.error.message).toContain('capabilities telepathy');
      expect(body.error.details.request_id).toEqual(expect.any(String));
    });
  });

  describe('fallback', () => {
    it.each([
      [500, 'server_error'],
      [429, 'rate_limited'],
    ])('falls back to the next model on a %i and says so in the events', async (httpStatus, code) => {
      openai.behave('oa-coder', { error: { status: httpStatus, message: 'upstream trouble' } });
      openai.behave('oa-backup', { text: 'backup answer' });
      const id = `req-fallback-${httpStatus}`;
      const { status, body } = await post('/api/models/chat', { model_id: 'oa-coder', messages: [{ role: 'user', content: 'hi' }] }, { 'X-Request-Id': id });

      expect(status).toBe(200);
      expect(body.model.id).not.toBe('oa-coder');
      expect(body.metadata.failed_attempts).toEqual([
        { model_id: 'oa-coder', provider: 'openai', error: expect.objectContaining({ code, retryable: true, status: httpStatus }) },
      ]);
      const failed = await events.waitFor(EventName.RequestFailed, (e) => e.request_id === id);
      expect(failed).toEqual({
        request_id: id,
        model_id: 'oa-coder',
        error: { code, message: expect.stringContaining('upstream trouble'), details: expect.objectContaining({ provider: 'openai', status: httpStatus }) },
        fallback_attempted: true,
        fallback_succeeded: true,
      });
      const completed = await events.waitFor(EventName.RequestCompleted, (e) => e.request_id === id);
      expect(completed.model_id).toBe(body.model.id);
      const [row] = await service.sql.query(`SELECT status, model_id, requested_model_id, attempts FROM inference_requests WHERE id = $1`, [id]);
      expect(row).toMatchObject({ status: 'completed', model_id: body.model.id, requested_model_id: 'oa-coder' });
      expect(row.attempts).toHaveLength(1);
    });

    it('falls back when the provider refuses connections', async () => {
      const { status, body } = await post('/api/models/chat', { model_id: 'oa-unreachable', messages: [{ role: 'user', content: 'hi' }] });
      expect(status).toBe(200);
      expect(body.metadata.failed_attempts[0]).toMatchObject({ model_id: 'oa-unreachable', error: { code: 'connection_error', retryable: true } });
    });

    it('does not fall back when the request says fallback: false', async () => {
      openai.behave('oa-coder', { error: { status: 503, message: 'overloaded' } });
      const { status, body } = await post('/api/models/chat', { model_id: 'oa-coder', fallback: false, messages: [{ role: 'user', content: 'hi' }] });
      expect(status).toBe(503);
      expect(body.error.details.attempts).toHaveLength(1);
      expect(openai.requests.map((r) => r.body.model)).toEqual(['oa-coder']);
    });

    it('does not fall back on a 401: 502 provider_error, recorded as failed', async () => {
      openai.behave('oa-coder', { error: { status: 401, message: 'bad key' } });
      const id = 'req-unauthorized';
      const { status, body } = await post('/api/models/chat', { model_id: 'oa-coder', messages: [{ role: 'user', content: 'hi' }] }, { 'X-Request-Id': id });
      expect(status).toBe(502);
      expect(body.error).toMatchObject({ code: 'provider_error', details: { request_id: id, attempts: [expect.objectContaining({ model_id: 'oa-coder' })] } });
      expect(JSON.stringify(body)).not.toContain(OPENAI_KEY);
      expect(openai.requests).toHaveLength(1);
      const failed = await events.waitFor(EventName.RequestFailed, (e) => e.request_id === id);
      expect(failed).toMatchObject({ model_id: 'oa-coder', error: { code: 'unauthorized' }, fallback_attempted: false, fallback_succeeded: false });
      const [row] = await service.sql.query(`SELECT status, error FROM inference_requests WHERE id = $1`, [id]);
      expect(row.status).toBe('failed');
      expect(row.error.code).toBe('provider_error');
    });

    it('answers 503 listing every attempt when all candidates fail', async () => {
      openai.behave('oa-coder', { error: { status: 500, message: 'down' } });
      openai.behave('oa-backup', { error: { status: 500, message: 'down too' } });
      anthropic.behave('claude-thinker', { error: { status: 529, message: 'overloaded' } });
      const { status, body } = await post('/api/models/chat', { messages: [{ role: 'user', content: 'hi' }], requirements: { min_quality_score: 0.6 } });
      expect(status).toBe(503);
      expect(body.error.code).toBe('no_model_available');
      // Their order follows the scores, which earlier failures in this file have already moved.
      expect(body.error.details.attempts.map((a: { model_id: string }) => a.model_id).sort()).toEqual(['claude-thinker', 'oa-backup', 'oa-coder']);
    });
  });

  describe('request ids', () => {
    it('refuses a duplicate X-Request-Id with 409 and a malformed one with 400', async () => {
      await post('/api/models/chat', { model_id: 'oa-backup', messages: [{ role: 'user', content: 'hi' }] }, { 'X-Request-Id': 'req-dup' });
      const duplicate = await post('/api/models/chat', { model_id: 'oa-backup', messages: [{ role: 'user', content: 'hi' }] }, { 'X-Request-Id': 'req-dup' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.error.details.request_id).toBe('req-dup');

      const malformed = await post('/api/models/chat', { messages: [{ role: 'user', content: 'hi' }] }, { 'X-Request-Id': 'not valid!' });
      expect(malformed.status).toBe(400);
      expect(Object.keys(malformed.body.error.details.fields)).toEqual(['X-Request-Id']);
    });
  });

  describe('named models that cannot serve', () => {
    it('answers 404 for an unknown model and 422 for one without the capability or context', async () => {
      const unknown = await post('/api/models/chat', { model_id: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('model_not_found');
      expect(unknown.body.error.details.request_id).toEqual(expect.any(String));

      const embedder = await post('/api/models/chat', { model_id: 'text-embedding-3-small', messages: [{ role: 'user', content: 'hi' }] });
      expect(embedder.status).toBe(422);
      expect(embedder.body.error.code).toBe('model_cannot_serve');

      const long = await post('/api/models/chat', { model_id: 'oa-tiny-context', messages: [{ role: 'user', content: 'word '.repeat(200) }] });
      expect(long.status).toBe(422);
      expect(long.body.error.message).toContain('context length 64');
    });
  });

  describe('streaming', () => {
    it('sends the request id, deltas in order, then the full body, and records the request', async () => {
      openai.behave('oa-coder', { text: 'one two three four', usage: { input: 5, output: 4 } });
      const response = await fetch(`${service.baseUrl}/api/models/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Request-Id': 'req-stream-1' },
        body: JSON.stringify({ model_id: 'oa-coder', stream: true, messages: [{ role: 'user', content: 'count' }] }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const frames = parseSse(await response.text());
      expect(frames[0]).toEqual({ event: 'start', data: { request_id: 'req-stream-1' } });
      const deltas = frames.filter((f) => f.event === 'delta').map((f) => (f.data as { content: string }).content);
      expect(deltas.join('')).toBe('one two three four');
      expect(deltas.length).toBeGreaterThan(1);
      const done = frames[frames.length - 1];
      expect(done.event).toBe('done');
      expect(done.data).toMatchObject({ completion_id: 'req-stream-1', content: 'one two three four', usage: { prompt_tokens: 5, completion_tokens: 4 } });
      const [row] = await service.sql.query(`SELECT status FROM inference_requests WHERE id = 'req-stream-1'`);
      expect(row.status).toBe('completed');
    });

    it('marks the request cancelled when the client disconnects mid-stream', async () => {
      openai.behave('oa-coder', { text: 'a b c d e f g h i j k l m n o p', chunkDelayMs: 100 });
      const controller = new AbortController();
      const response = await fetch(`${service.baseUrl}/api/models/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Request-Id': 'req-stream-gone' },
        body: JSON.stringify({ model_id: 'oa-coder', stream: true, messages: [{ role: 'user', content: 'go' }] }),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      let seen = '';
      while (!seen.includes('event: delta')) seen += new TextDecoder().decode((await reader.read()).value);
      controller.abort();

      const failed = await events.waitFor(EventName.RequestFailed, (e) => e.request_id === 'req-stream-gone');
      expect(failed.error.code).toBe('cancelled');
      const [row] = await service.sql.query(`SELECT status, finish_reason, response FROM inference_requests WHERE id = 'req-stream-gone'`);
      expect(row).toMatchObject({ status: 'cancelled', finish_reason: 'cancelled' });
      expect(row.response.content.length).toBeGreaterThan(0);
      expect(row.response.content.length).toBeLessThan('a b c d e f g h i j k l m n o p'.length);
    });
  });

  describe('bad input', () => {
    const cases: [string, string, unknown, string[]][] = [
      ['completion without prompt', '/api/models/completion', {}, ['prompt']],
      ['prompt of the wrong type', '/api/models/completion', { prompt: 42 }, ['prompt']],
      ['temperature out of range', '/api/models/completion', { prompt: 'x', temperature: 2.5 }, ['temperature']],
      ['max_tokens not an integer', '/api/models/completion', { prompt: 'x', max_tokens: 1.5 }, ['max_tokens']],
      ['max_tokens zero', '/api/models/completion', { prompt: 'x', max_tokens: 0 }, ['max_tokens']],
      ['requirements out of range', '/api/models/completion', { prompt: 'x', requirements: { reliability: 1.2, creativity: -0.1, min_quality_score: 'high' } }, ['requirements.reliability', 'requirements.creativity', 'requirements.min_quality_score']],
      ['context item without type', '/api/models/completion', { prompt: 'x', context: [{ content: 'c' }] }, ['context.0.type']],
      ['metadata of the wrong type', '/api/models/completion', { prompt: 'x', metadata: { user_id: 7 } }, ['metadata.user_id']],
      ['empty messages', '/api/models/chat', { messages: [] }, ['messages']],
      ['unknown role', '/api/models/chat', { messages: [{ role: 'wizard', content: 'hi' }] }, ['messages.0.role']],
      ['empty message content', '/api/models/chat', { messages: [{ role: 'user', content: '' }] }, ['messages.0.content']],
      ['messages not an array', '/api/models/chat', { messages: 'hello' }, ['messages']],
      ['unknown field', '/api/models/chat', { messages: [{ role: 'user', content: 'hi' }], temprature: 1 }, ['temprature']],
      ['bad task_type', '/api/models/chat', { messages: [{ role: 'user', content: 'hi' }], task_type: 'Code Gen' }, ['task_type']],
    ];

    it.each(cases)('answers 400 naming the field for %s', async (_name, path, body, fields) => {
      const response = await post(path, body);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(Object.keys(response.body.error.details.fields).sort()).toEqual([...fields].sort());
    });

    it('answers 400 for a body that is not JSON or is too large', async () => {
      const notJson = await request(service.baseUrl, 'POST', '/api/models/chat', { rawBody: '{"messages": [' });
      expect(notJson.status).toBe(400);
      const huge = await post('/api/models/completion', { prompt: 'x'.repeat(1_100_000) });
      expect(huge.status).toBe(400);
      expect(huge.body.error.code).toBe('payload_too_large');
    });
  });
});

function parseSse(text: string): { event: string; data: unknown }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) as unknown };
    });
}
