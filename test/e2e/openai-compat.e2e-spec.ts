import { ChatOpenAI } from '@langchain/openai';
import OpenAI, { APIError } from 'openai';
import { waitUntil } from '../../scripts/lib/processes';
import { registerModel } from '../support/factories';
import { embeddingOf, FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { TINY_MODEL } from '../support/paths';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const CLIENT_KEY = 'client-key-0123456789abcdef';

describe('OpenAI-compatible API (/v1)', () => {
  let service: TestApp;
  let openai: FakeServer;
  let client: OpenAI;

  const requestRow = async (id: string) => {
    const [row] = await service.sql.query(`SELECT * FROM inference_requests WHERE id = $1`, [id]);
    return row;
  };

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp({ LOCAL_MODEL_PATH: TINY_MODEL, ROLLUP_INTERVAL_SECONDS: '1' });
    const viaFake = { provider: 'openai' as const, api_url: openai.url, api_key: 'sk-upstream-key' };
    await registerModel(service, { ...viaFake, model_id: 'oa-general', capabilities: ['chat'], quality: 0.8, pricing: { input: 0.001, output: 0.002 } });
    await registerModel(service, {
      ...viaFake,
      model_id: 'oa-coder',
      capabilities: ['chat', 'code'],
      quality: 0.5,
      task_specific: { code_generation: 0.95 },
      pricing: { input: 0.003, output: 0.006 },
    });
    await registerModel(service, { ...viaFake, model_id: 'oa-legacy', capabilities: ['completion'], quality: 0.3, options: { completions_api: true } });
    await registerModel(service, { ...viaFake, model_id: 'oa-embedder', capabilities: ['embedding'], pricing: { input: 0.0001, output: 0 } });
    client = new OpenAI({ baseURL: `${service.baseUrl}/v1`, apiKey: 'any-key-while-open', maxRetries: 0 });
  });

  afterAll(async () => {
    await service.close();
    await openai.close();
  });

  beforeEach(() => openai.reset());

  describe('chat completions with the openai SDK', () => {
    it('answers in OpenAI shape with our request id, the model used and usage matching the recorded request', async () => {
      openai.behave('oa-general', { text: 'Blue light scatters most.', usage: { input: 21, output: 5 } });
      const { data, response, request_id } = await client.chat.completions
        .create({
          model: 'oa-general',
          messages: [
            { role: 'developer', content: 'Be brief.' },
            { role: 'user', content: [{ type: 'text', text: 'Why is the sky' }, { type: 'text', text: 'blue?' }] },
          ],
          max_completion_tokens: 50,
          user: 'user-7',
          top_p: 0.9,
          seed: 4,
        })
        .withResponse();

      expect(data).toEqual({
        id: request_id,
        object: 'chat.completion',
        created: expect.any(Number),
        model: 'oa-general',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Blue light scatters most.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 21, completion_tokens: 5, total_tokens: 26, estimated_cost: 0.000031 },
      });
      expect(Math.abs(data.created - Date.now() / 1000)).toBeLessThan(60);
      expect(response.headers.get('x-model-id')).toBe('oa-general');
      expect(response.headers.get('x-estimated-cost')).toBe('0.000031');

      // The provider got the request in our normalized form: developer as system, text parts joined.
      expect(openai.requests[0].body.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Why is the sky\nblue?' },
      ]);
      expect(openai.requests[0].body.max_tokens ?? openai.requests[0].body.max_completion_tokens).toBe(50);

      expect(await requestRow(data.id)).toMatchObject({
        kind: 'chat',
        status: 'completed',
        model_id: 'oa-general',
        requested_model_id: 'oa-general',
        prompt_tokens: 21,
        completion_tokens: 5,
        total_tokens: 26,
        cost: 0.000031,
        task_type: 'general',
        metadata: { user_id: 'user-7' },
      });
    });

    it('lets the router choose for model "auto" and records no requested model', async () => {
      const completion = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] });
      expect(completion.model).toBe('oa-general');
      expect(completion.choices[0].message.content).toBe('Echo: hello');
      expect(await requestRow(completion.id)).toMatchObject({ requested_model_id: null, model_id: 'oa-general', task_type: 'general' });
    });

    it('steers by task type through "auto:<task_type>" or the X-Task-Type header', async () => {
      const bySuffix = await client.chat.completions.create({ model: 'auto:code_generation', messages: [{ role: 'user', content: 'write add' }] });
      expect(bySuffix.model).toBe('oa-coder');
      expect((await requestRow(bySuffix.id)).task_type).toBe('code_generation');

      const byHeader = await client.chat.completions.create(
        { model: 'auto', messages: [{ role: 'user', content: 'write sub' }] },
        { headers: { 'X-Task-Type': 'code_generation' } },
      );
      expect(byHeader.model).toBe('oa-coder');
      expect((await requestRow(byHeader.id)).task_type).toBe('code_generation');
    });

    it('uses a caller-chosen X-Request-Id as the completion id', async () => {
      const completion = await client.chat.completions.create(
        { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'X-Request-Id': 'v1-chosen-id' } },
      );
      expect(completion.id).toBe('v1-chosen-id');
      expect((await requestRow('v1-chosen-id')).status).toBe('completed');
    });

    it('streams chunks that add up to the recorded answer, then usage, then [DONE]', async () => {
      openai.behave('oa-general', { text: 'one two three four', usage: { input: 6, output: 4 } });
      const stream = await client.chat.completions.create({
        model: 'auto',
        messages: [{ role: 'user', content: 'count' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
      expect(content).toBe('one two three four');
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);

      const [finish, usage] = chunks.slice(-2);
      expect(finish.choices[0]).toMatchObject({ finish_reason: 'stop', delta: {} });
      expect(finish.model).toBe('oa-general');
      expect(usage.choices).toEqual([]);
      expect(usage.usage).toEqual({ prompt_tokens: 6, completion_tokens: 4, total_tokens: 10, estimated_cost: 0.000014 });

      const row = await requestRow(chunks[0].id);
      expect(row).toMatchObject({ status: 'completed', model_id: 'oa-general', prompt_tokens: 6, completion_tokens: 4 });
      expect(row.response.content).toBe(content);
    });

    it('ends the raw event stream with data: [DONE] and sends no usage chunk unless asked', async () => {
      const response = await fetch(`${service.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Request-Id': 'v1-raw-stream' },
        body: JSON.stringify({ model: 'oa-general', stream: true, messages: [{ role: 'user', content: 'a b c' }] }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      expect(response.headers.get('x-request-id')).toBe('v1-raw-stream');
      const text = await response.text();
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      const frames = text
        .split('\n\n')
        .filter((frame) => frame.startsWith('data: {'))
        .map((frame) => JSON.parse(frame.slice('data: '.length)));
      expect(frames.every((frame) => frame.id === 'v1-raw-stream' && !('usage' in frame) && frame.choices.length === 1)).toBe(true);
    });

    it('answers finish_reason "cancelled" when the request is cancelled by its id', async () => {
      openai.behave('oa-general', { text: 'too late', delayMs: 10_000 });
      const pending = client.chat.completions.create(
        { model: 'oa-general', messages: [{ role: 'user', content: 'wait' }] },
        { headers: { 'X-Request-Id': 'v1-cancelled' } },
      );
      await waitUntil(async () => (await requestRow('v1-cancelled'))?.status === 'running');
      const cancel = await request(service.baseUrl, 'POST', '/api/admin/requests/v1-cancelled/cancel', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(cancel.body).toEqual({ request_id: 'v1-cancelled', status: 'cancelled' });

      const completion = await pending;
      expect(completion).toMatchObject({ id: 'v1-cancelled', model: 'oa-general' });
      expect(completion.choices[0]).toMatchObject({ finish_reason: 'cancelled', message: { content: '' } });
    });

    it('answers with the status code, not a stream, when the request fails before the first chunk', async () => {
      openai.behave('oa-general', { error: { status: 401, message: 'upstream refused the key' } });
      const attempt = client.chat.completions.create({ model: 'oa-general', messages: [{ role: 'user', content: 'hi' }], stream: true });
      await expect(attempt).rejects.toMatchObject({ status: 502, code: 'provider_error', type: 'api_error' });
    });
  });

  describe('legacy completions with the openai SDK', () => {
    it('runs the local GGUF model with real token counts that match the recorded request', async () => {
      const completion = await client.completions.create({ model: 'stories260k', prompt: 'Once upon a time', max_tokens: 8, temperature: 0 });
      expect(completion).toMatchObject({ object: 'text_completion', model: 'stories260k', id: completion._request_id });
      expect(completion.choices[0].text.length).toBeGreaterThan(0);
      const row = await requestRow(completion.id);
      expect(row).toMatchObject({ kind: 'completion', status: 'completed', model_id: 'stories260k' });
      expect(completion.usage).toEqual({
        prompt_tokens: row.prompt_tokens,
        completion_tokens: row.completion_tokens,
        total_tokens: row.total_tokens,
        estimated_cost: 0,
      });
      expect(row.completion_tokens).toBeGreaterThan(0);
      expect(row.completion_tokens).toBeLessThanOrEqual(8);
    });

    it('sends a prompt to an OpenAI-protocol model and streams a local one', async () => {
      openai.behave('oa-legacy', { text: 'and then it rained', usage: { input: 3, output: 4 } });
      const completion = await client.completions.create({ model: 'oa-legacy', prompt: ['It was sunny'] });
      expect(completion.choices[0]).toEqual({ text: 'and then it rained', index: 0, logprobs: null, finish_reason: 'stop' });
      expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
      expect(openai.requests[0]).toMatchObject({ path: '/v1/completions', body: { prompt: 'It was sunny' } });

      const stream = await client.completions.create({ model: 'stories260k', prompt: 'Once upon a time', max_tokens: 8, stream: true });
      let text = '';
      let id = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.text ?? '';
        id = chunk.id;
      }
      expect(text.length).toBeGreaterThan(0);
      expect((await requestRow(id)).response.content).toBe(text);
    });
  });

  describe('embeddings with the openai SDK', () => {
    it('returns float vectors in OpenAI shape with cost, and base64 that decodes to the same floats', async () => {
      const { data: floats, response } = await client.embeddings
        .create({ model: 'oa-embedder', input: ['alpha', 'beta gamma'], encoding_format: 'float' })
        .withResponse();
      expect(floats).toMatchObject({
        object: 'list',
        model: 'oa-embedder',
        usage: { prompt_tokens: 3, total_tokens: 3, estimated_cost: 0.0000003 },
      });
      expect(floats.data.map((d) => [d.object, d.index])).toEqual([
        ['embedding', 0],
        ['embedding', 1],
      ]);
      expect(floats.data[0].embedding).toEqual(embeddingOf('alpha', 8));
      expect(response.headers.get('x-model-id')).toBe('oa-embedder');
      expect(response.headers.get('x-estimated-cost')).toBe('0.0000003');

      const asFloat32 = floats.data.map((d) => d.embedding.map((x) => Math.fround(x)));
      const raw = await request(service.baseUrl, 'POST', '/v1/embeddings', {
        body: { model: 'oa-embedder', input: ['alpha', 'beta gamma'], encoding_format: 'base64' },
      });
      const bytes = Buffer.from(raw.body.data[0].embedding as string, 'base64');
      expect(Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4))).toEqual(asFloat32[0]);

      // Without encoding_format the SDK asks for base64 and decodes it itself.
      const decoded = await client.embeddings.create({ model: 'oa-embedder', input: ['alpha', 'beta gamma'] });
      expect(decoded.data.map((d) => d.embedding)).toEqual(asFloat32);
    });

    it('embeds with the local model, and "auto" picks the cheapest embedding model', async () => {
      const local = await client.embeddings.create({ model: 'stories260k', input: 'hello', encoding_format: 'float' });
      expect(local.model).toBe('stories260k');
      expect(local.data[0].embedding.length).toBeGreaterThan(0);
      expect(local.usage.prompt_tokens).toBeGreaterThan(0);

      const auto = await client.embeddings.create({ model: 'auto', input: 'hello', dimensions: 4 });
      expect(auto.model).toBe('stories260k');
      expect(auto.data[0].embedding).toHaveLength(4);
    });
  });

  describe('models with the openai SDK', () => {
    it('lists "auto" and the models that can be called now, owned by their provider', async () => {
      const models: OpenAI.Models.Model[] = [];
      for await (const model of client.models.list()) models.push(model);
      const byId = new Map(models.map((model) => [model.id, model]));
      expect(models[0]).toEqual({ id: 'auto', object: 'model', created: 0, owned_by: 'model-orchestration' });
      expect(byId.get('oa-general')).toEqual({ id: 'oa-general', object: 'model', created: 0, owned_by: 'openai' });
      expect(byId.get('stories260k')?.owned_by).toBe('local');
      // Catalogue models without credentials cannot answer, so they are not offered.
      expect(byId.has('gpt-4o')).toBe(false);
    });
  });

  describe('errors as the SDK typed errors', () => {
    it('raises BadRequestError naming the field for n: 17, with the request id', async () => {
      const error = await client.chat.completions.create({ model: 'auto', n: 17, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'n', code: 'validation_failed' });
      expect((error as APIError).message).toContain('n must not be greater than 16');
      expect((error as APIError).requestID).toEqual(expect.any(String));
    });

    it.each([
      ['legacy functions', { functions: [{ name: 'f', parameters: {} }] }, 'functions'],
      ['an unknown response format', { response_format: { type: 'yaml' } }, 'response_format.type'],
      ['a tool message answering no call', { messages: [{ role: 'tool', content: 'x', tool_call_id: 'c1' }] }, 'messages[0].tool_call_id'],
      ['an audio part', { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }, 'messages.0.content'],
      ['an unknown model name syntax', { model: 'not a model' }, 'model'],
      ['a task type that is not an identifier', { model: 'auto:Code' }, 'model'],
    ])('refuses %s with a 400 naming the field', async (_name, patch, param) => {
      const body = { model: 'auto', messages: [{ role: 'user', content: 'hi' }], ...patch } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
      await expect(client.chat.completions.create(body)).rejects.toMatchObject({ status: 400, param, type: 'invalid_request_error' });
    });

    it('raises NotFoundError with code model_not_found for an unknown model', async () => {
      const error = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model', type: 'invalid_request_error' });
    });

    it('raises InternalServerError with status 503 when no model meets X-Min-Quality', async () => {
      const error = await client.chat.completions
        .create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'X-Min-Quality': '0.99' } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error).toMatchObject({ status: 503, code: 'no_model_available', type: 'api_error' });
    });

    it('refuses a malformed routing header or X-Request-Id in OpenAI shape', async () => {
      await expect(
        client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'X-Min-Quality': 'high' } }),
      ).rejects.toMatchObject({ status: 400, param: 'X-Min-Quality' });
      await expect(
        client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'X-Request-Id': 'not valid!' } }),
      ).rejects.toMatchObject({ status: 400, param: 'X-Request-Id', type: 'invalid_request_error' });
    });

    it('answers a duplicate X-Request-Id with 409 and tells the SDK not to retry', async () => {
      await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'X-Request-Id': 'v1-dup' } });
      const { status, headers, body } = await request(service.baseUrl, 'POST', '/v1/chat/completions', {
        headers: { 'X-Request-Id': 'v1-dup' },
        body: { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(status).toBe(409);
      expect(headers.get('x-should-retry')).toBe('false');
      expect(body).toEqual({ error: { message: expect.stringContaining('v1-dup'), type: 'invalid_request_error', param: null, code: 'conflict' } });
    });
  });

  describe('LangChain ChatOpenAI', () => {
    const chatModel = () =>
      new ChatOpenAI({ model: 'auto', apiKey: 'any-key-while-open', maxRetries: 0, configuration: { baseURL: `${service.baseUrl}/v1` } });

    it('gets a reply through invoke', async () => {
      openai.behave('oa-general', { text: 'Hello from the gateway', usage: { input: 4, output: 4 } });
      const reply = await chatModel().invoke([
        ['system', 'Be kind.'],
        ['human', 'Say hello'],
      ]);
      expect(reply.content).toBe('Hello from the gateway');
      expect(reply.response_metadata).toMatchObject({ model_name: 'oa-general', finish_reason: 'stop' });
      expect(reply.usage_metadata).toMatchObject({ input_tokens: 4, output_tokens: 4, total_tokens: 8 });
      expect(await requestRow(reply.id!)).toMatchObject({ status: 'completed', model_id: 'oa-general' });
    });

    it('streams a reply chunk by chunk', async () => {
      openai.behave('oa-general', { text: 'streamed words arrive in order' });
      const pieces: string[] = [];
      for await (const chunk of await chatModel().stream('Stream please')) pieces.push(chunk.content as string);
      expect(pieces.filter((piece) => piece.length > 0).length).toBeGreaterThan(1);
      expect(pieces.join('')).toBe('streamed words arrive in order');
    });
  });

  describe('tracking and feedback on a /v1 request', () => {
    const taskReport = async () => {
      const { body } = await request(service.baseUrl, 'GET', '/api/models/performance?model_id=oa-general&time_range=1d');
      return body.models[0].metrics.task_specific.v1_tracking;
    };

    it('counts the request in GET /api/models/performance under its task type', async () => {
      expect(await taskReport()).toBeUndefined();
      await client.chat.completions.create({ model: 'oa-general', messages: [{ role: 'user', content: 'track me' }] }, { headers: { 'X-Task-Type': 'v1_tracking' } });

      // Scores and their sample count move together, once the request's observation is folded in.
      await waitUntil(async () => (await taskReport())?.sample_count === 1, 10_000);
      expect(await taskReport()).toEqual({ quality_score: expect.any(Number), success_rate: expect.any(Number), sample_count: 1 });
    });

    it('accepts the completion id as the feedback request_id', async () => {
      const completion = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'rate me' }] });
      const { status, body } = await request(service.baseUrl, 'POST', '/api/models/feedback', {
        body: { request_id: completion.id, success: true, quality_rating: 0.9 },
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'accepted', updated_metrics: { quality_score: expect.any(Number), success_rate: expect.any(Number) } });
    });
  });

  describe('how JSON answers are written', () => {
    const expectPlainJson = async (response: Response) => {
      const text = await response.text();
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(text));
      // No ETag: a POST answer or an error is never revalidated, and hashing it costs every request.
      expect(response.headers.get('etag')).toBeNull();
      return JSON.parse(text) as Record<string, unknown>;
    };
    const post = (path: string, body: unknown) =>
      fetch(`${service.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it('answers a chat on /v1 and on /api with its byte length and type, and no ETag', async () => {
      openai.behave('oa-general', { text: 'Grüße, 世界' });
      const messages = [{ role: 'user', content: 'Say hello in two languages' }];
      const v1 = await post('/v1/chat/completions', { model: 'oa-general', messages });
      expect(v1.status).toBe(200);
      expect(await expectPlainJson(v1)).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'Grüße, 世界' } }] });
      const api = await post('/api/models/chat', { model_id: 'oa-general', messages });
      expect(api.status).toBe(200);
      expect(await expectPlainJson(api)).toMatchObject({ content: 'Grüße, 世界' });
    });

    it('answers errors on /v1 and on /api the same way', async () => {
      const v1 = await post('/v1/chat/completions', { model: 'oa-general', messages: [] });
      expect(v1.status).toBe(400);
      expect(await expectPlainJson(v1)).toMatchObject({ error: { param: 'messages' } });
      const api = await post('/api/models/chat', { model_id: 'oa-general' });
      expect(api.status).toBe(400);
      expect(await expectPlainJson(api)).toMatchObject({ error: { code: 'validation_failed' } });
    });
  });
});

describe('OpenAI-compatible API with CLIENT_API_KEYS', () => {
  let service: TestApp;
  const clientWith = (apiKey: string) => new OpenAI({ baseURL: `${service.baseUrl}/v1`, apiKey, maxRetries: 0 });

  beforeAll(async () => {
    service = await startTestApp({ CLIENT_API_KEYS: `other-key-fedcba9876543210,${CLIENT_KEY}` });
  });

  afterAll(async () => {
    await service.close();
  });

  it('serves a configured key', async () => {
    const page = await clientWith(CLIENT_KEY).models.list();
    expect(page.data[0].id).toBe('auto');
  });

  it('raises AuthenticationError with code invalid_api_key for a wrong key; the admin token is the operator, who may call too', async () => {
    const error = await clientWith('wrong-key-0123456789abcdef')
      .models.list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'authentication_error' });
    expect((await clientWith(ADMIN_TOKEN).models.list()).data.length).toBeGreaterThan(0);
  });

  it('answers 401 in OpenAI shape when no key is sent', async () => {
    const { status, body } = await request(service.baseUrl, 'POST', '/v1/chat/completions', { body: { model: 'auto', messages: [] } });
    expect(status).toBe(401);
    expect(body).toEqual({ error: { message: expect.stringContaining('Bearer'), type: 'authentication_error', param: null, code: 'unauthorized' } });
  });

  it('guards the native API alike (CLIENT_AUTH defaults to keys when CLIENT_API_KEYS is set)', async () => {
    expect((await request(service.baseUrl, 'GET', '/api/models')).status).toBe(401);
    expect((await request(service.baseUrl, 'GET', '/api/models', { headers: { authorization: `Bearer ${CLIENT_KEY}` } })).status).toBe(200);
    expect((await request(service.baseUrl, 'GET', '/api/models', { headers: { 'x-api-key': CLIENT_KEY } })).status).toBe(200);
  });
});

describe('OpenAI-compatible streams that fail midway', () => {
  let service: TestApp;
  let openai: FakeServer;

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp({ PROVIDER_TIMEOUT_MS: '1000' });
    await registerModel(service, { model_id: 'oa-slow', provider: 'openai', capabilities: ['chat'], api_url: openai.url, api_key: 'sk-upstream-key' });
  });

  afterAll(async () => {
    await service.close();
    await openai.close();
  });

  it('ends with an error frame the SDK raises, after the content already sent, and records the failure', async () => {
    openai.behave('oa-slow', { text: 'a b c d e f g h', chunkDelayMs: 300 });
    const client = new OpenAI({ baseURL: `${service.baseUrl}/v1`, apiKey: 'any-key-while-open', maxRetries: 0 });
    const stream = await client.chat.completions.create(
      { model: 'oa-slow', messages: [{ role: 'user', content: 'slowly' }], stream: true },
      { headers: { 'X-Request-Id': 'v1-stream-timeout' } },
    );
    let content = '';
    const error = await (async () => {
      for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ code: 'no_model_available', type: 'api_error' });
    expect(content.length).toBeGreaterThan(0);
    expect(content.length).toBeLessThan('a b c d e f g h'.length);
    const [row] = await service.sql.query(`SELECT status, attempts FROM inference_requests WHERE id = 'v1-stream-timeout'`);
    expect(row.status).toBe('failed');
    expect(row.attempts[0].error.code).toBe('timeout');
  });
});
