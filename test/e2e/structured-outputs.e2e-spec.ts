import { ChatOpenAI } from '@langchain/openai';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { EventName } from '../../src/events/event-contracts';
import { EventListener } from '../support/event-listener';
import { registerModel } from '../support/factories';
import { startFakeAnthropic } from '../support/fake-anthropic';
import { FakeOllama } from '../support/fake-ollama';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { TINY_MODEL } from '../support/paths';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Structured outputs, images and prompt caching (docs/parameters.md): `parse` with a zod schema
 * through every provider kind (the local GGUF model under a grammar built from the schema), the
 * gateway's own schema check with fallback, images in each provider's format, and the cost of
 * cached Anthropic prompts.
 */

const Person = z.object({ name: z.string(), age: z.number().int() });
const PERSON_JSON = '{"name":"Ada","age":36}';
// A real (if tiny) PNG, as a data URL.
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const PNG_BASE64 = PNG.split(',')[1];
const REMOTE_IMAGE = 'https://images.example.com/cat.png';

describe('structured outputs, images and prompt caching', () => {
  let service: TestApp;
  let openai: FakeServer;
  let anthropic: FakeServer;
  let ollama: FakeOllama;
  let client: OpenAI;
  let events: EventListener;

  beforeAll(async () => {
    [openai, anthropic, ollama] = await Promise.all([startFakeOpenAi(), startFakeAnthropic(), FakeOllama.start()]);
    service = await startTestApp({ LOCAL_MODEL_PATH: TINY_MODEL, BODY_LIMIT: '2mb' });
    events = await EventListener.start(`redis://${service.config.redis.host}:${service.config.redis.port}`);
    const vision = ['chat', 'vision'];
    await registerModel(service, { model_id: 's-gpt', provider: 'openai', capabilities: vision, api_url: openai.url, api_key: 'sk-x', quality: 0.5 });
    await registerModel(service, {
      model_id: 's-claude',
      provider: 'anthropic',
      capabilities: [...vision, 'function_calling'],
      api_url: anthropic.url,
      api_key: 'sk-ant-x',
      quality: 0.4,
      pricing: { input: 0.003, output: 0.015, cached_input: 0.0003, cache_write: 0.00375 },
    });
    await registerModel(service, { model_id: 's-llama', provider: 'ollama', capabilities: vision, api_url: ollama.url, options: { model: 'llama3' }, quality: 0.3 });
    // Two models of their own capability for the fallback case: the better one answers badly.
    await registerModel(service, { model_id: 's-sloppy', provider: 'openai', capabilities: ['chat', 'json_pair'], api_url: openai.url, api_key: 'sk-x', quality: 0.95 });
    await registerModel(service, { model_id: 's-careful', provider: 'openai', capabilities: ['chat', 'json_pair'], api_url: openai.url, api_key: 'sk-x', quality: 0.6 });
    client = new OpenAI({ baseURL: `${service.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await events.close();
    await service.close();
    await Promise.all([openai.close(), anthropic.close(), ollama.close()]);
  });

  beforeEach(() => {
    openai.reset();
    anthropic.reset();
    ollama.reset();
  });

  describe('client.chat.completions.parse with zodResponseFormat', () => {
    const parse = (model: string) =>
      client.chat.completions.parse({ model, messages: [{ role: 'user', content: 'Ada Lovelace, 36' }], response_format: zodResponseFormat(Person, 'person') });

    it('through an OpenAI-protocol model: the schema passed natively', async () => {
      openai.behave('s-gpt', { text: PERSON_JSON });
      const completion = await parse('s-gpt');

      expect(completion.choices[0].message.parsed).toEqual({ name: 'Ada', age: 36 });
      expect(openai.requests[0].body.response_format).toEqual({
        type: 'json_schema',
        json_schema: { name: 'person', schema: expect.objectContaining({ type: 'object', required: ['name', 'age'] }), strict: true },
      });
    });

    it("through an Anthropic model: the schema as Anthropic's output format", async () => {
      anthropic.behave('s-claude', { text: PERSON_JSON });
      const completion = await parse('s-claude');

      expect(completion.choices[0].message.parsed).toEqual({ name: 'Ada', age: 36 });
      expect(anthropic.requests[0].body.output_config).toEqual({ format: { type: 'json_schema', schema: expect.objectContaining({ required: ['name', 'age'] }) } });
    });

    it('through an Ollama model: the schema as format', async () => {
      ollama.behave('llama3', { reply: PERSON_JSON });
      const completion = await parse('s-llama');

      expect(completion.choices[0].message.parsed).toEqual({ name: 'Ada', age: 36 });
      expect(ollama.requests[0].body).toMatchObject({ format: expect.objectContaining({ type: 'object', required: ['name', 'age'] }) });
    });

    it('through the local GGUF model, which a grammar built from the schema keeps to valid JSON', async () => {
      const completion = await client.chat.completions.parse({
        model: 'stories260k',
        messages: [{ role: 'user', content: 'Once upon a time' }],
        response_format: zodResponseFormat(Person, 'person'),
        max_tokens: 200,
      });

      const parsed = completion.choices[0].message.parsed!;
      expect(Person.safeParse(parsed).success).toBe(true);
      expect(completion.choices[0].finish_reason).toBe('stop');
    });
  });

  it('LangChain withStructuredOutput(zodSchema) returns the object', async () => {
    openai.behave('s-gpt', { text: PERSON_JSON });
    const model = new ChatOpenAI({ model: 's-gpt', apiKey: 'unused', maxRetries: 0, configuration: { baseURL: `${service.baseUrl}/v1` } });

    expect(await model.withStructuredOutput(Person).invoke('Ada Lovelace, 36')).toEqual({ name: 'Ada', age: 36 });
  });

  it('falls back to the next model when an answer does not match the schema; the event trail and the score record it', async () => {
    openai.behave('s-sloppy', { text: '{"name":"Ada"}' });
    openai.behave('s-careful', { text: PERSON_JSON });
    const { status, body } = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: {
        messages: [{ role: 'user', content: 'Ada Lovelace, 36' }],
        requirements: { capabilities: ['json_pair'] },
        task_type: 'extraction',
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema: zodResponseFormat(Person, 'person').json_schema.schema } },
      },
    });

    expect(status).toBe(200);
    expect(body.model.id).toBe('s-careful');
    expect(JSON.parse(body.content)).toEqual({ name: 'Ada', age: 36 });
    expect(body.metadata.failed_attempts).toEqual([
      { model_id: 's-sloppy', provider: 'openai', error: { code: 'invalid_output', message: expect.stringContaining("must have required property 'age'"), retryable: true, status: null } },
    ]);
    const failed = await events.waitFor(EventName.RequestFailed, (e) => e.request_id === body.completion_id);
    expect(failed).toMatchObject({ model_id: 's-sloppy', error: { code: 'invalid_output' }, fallback_attempted: true, fallback_succeeded: true });
    const observations = await service.sql.query(
      `SELECT model_id, success FROM performance_observations WHERE request_id = $1 ORDER BY model_id`,
      [body.completion_id],
    );
    expect(observations).toEqual([
      { model_id: 's-careful', success: true },
      { model_id: 's-sloppy', success: false },
    ]);
  });

  it('checks json_object answers too: text that is not a JSON object is a failure of that model', async () => {
    openai.behave('s-sloppy', { text: 'Sure! Here it is: {"name": "Ada"}' });
    const { status, body } = await request(service.baseUrl, 'POST', '/v1/chat/completions', {
      body: { model: 's-sloppy', messages: [{ role: 'user', content: 'Ada' }], response_format: { type: 'json_object' } },
      headers: { 'x-fallback': 'false' },
    });

    expect(status).toBe(503);
    expect(body.error.message).toBe('Every candidate model failed');
    expect(openai.requests[0].body.response_format).toEqual({ type: 'json_object' });
  });

  it('checks a streamed answer at its end: content already sent cannot be replaced, so the stream ends with the error', async () => {
    openai.behave('s-sloppy', { text: 'not json at all' });
    const response = await fetch(`${service.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 's-sloppy', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' }, stream: true }),
    });

    const frames = (await response.text()).split('\n\n').filter(Boolean);
    expect(frames.at(-1)).toContain('"code":"no_model_available"');
    expect(frames.some((frame) => frame.includes('"content":"not"'))).toBe(true);
    const [row] = await service.sql.query(`SELECT status, error FROM inference_requests WHERE id = $1`, [response.headers.get('x-request-id')]);
    expect(row.status).toBe('failed');
    expect(row.error.details.attempts).toEqual([expect.objectContaining({ model_id: 's-sloppy', error: expect.objectContaining({ code: 'invalid_output' }) })]);
  });

  it('takes response_format on /api/models/completion, sending the prompt as chat where every provider takes a format', async () => {
    openai.behave('s-gpt', { text: PERSON_JSON });
    const { status, body } = await request(service.baseUrl, 'POST', '/api/models/completion', {
      body: { model_id: 's-gpt', prompt: 'Ada Lovelace, 36', response_format: { type: 'json_object' } },
    });

    expect(status).toBe(200);
    expect(JSON.parse(body.content)).toEqual({ name: 'Ada', age: 36 });
    expect(openai.requests[0].path).toBe('/v1/chat/completions');
    expect(openai.requests[0].body.response_format).toEqual({ type: 'json_object' });
  });

  it('refuses a schema ajv cannot compile with 400 naming the field', async () => {
    const { status, body } = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { name: 'bad', schema: { type: 'nonsense' } } } },
    });

    expect(status).toBe(400);
    expect(Object.keys(body.error.details.fields)).toEqual(['response_format.json_schema.schema']);
  });

  describe('images', () => {
    const withImages = (model: string, urls: string[]) => ({
      model,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, ...urls.map((url) => ({ type: 'image_url', image_url: { url } }))] }],
    });

    it('forwards data: and https images to an OpenAI-protocol model as image_url parts', async () => {
      const { status } = await request(service.baseUrl, 'POST', '/v1/chat/completions', { body: withImages('s-gpt', [PNG, REMOTE_IMAGE]) });

      expect(status).toBe(200);
      expect(openai.requests[0].body.messages[0].content).toEqual([
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: PNG } },
        { type: 'image_url', image_url: { url: REMOTE_IMAGE } },
      ]);
    });

    it('forwards them to Anthropic as image blocks: base64 bytes and a URL source', async () => {
      const { status } = await request(service.baseUrl, 'POST', '/v1/chat/completions', { body: withImages('s-claude', [PNG, REMOTE_IMAGE]) });

      expect(status).toBe(200);
      expect(anthropic.requests[0].body.messages[0].content).toEqual([
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
        { type: 'image', source: { type: 'url', url: REMOTE_IMAGE } },
      ]);
    });

    it("forwards data: images to Ollama as the message's images, and refuses an https image for it with 400 naming the field", async () => {
      const ok = await request(service.baseUrl, 'POST', '/api/models/chat', { body: { ...withImages('', [PNG]), model: undefined, model_id: 's-llama' } });
      expect(ok.status).toBe(200);
      expect(ollama.requests[0].body?.messages?.[0]).toMatchObject({ role: 'user', content: 'What is this?', images: [PNG_BASE64] });

      const refused = await request(service.baseUrl, 'POST', '/v1/chat/completions', { body: withImages('s-llama', [PNG, REMOTE_IMAGE]) });
      expect(refused.status).toBe(400);
      expect(refused.body.error.param).toBe('messages[0].content[2].image_url.url');
      expect(ollama.requests).toHaveLength(1);
    });

    it('routes requests with images only to vision models, and https images only to providers that fetch URLs', async () => {
      openai.behave('s-gpt', { error: { status: 503, message: 'overloaded' } });
      const { status, body } = await request(service.baseUrl, 'POST', '/api/models/chat', {
        body: { ...withImages('', [REMOTE_IMAGE]), model: undefined, fallback: true },
      });

      // s-gpt failed; s-claude takes URLs; s-llama and the local model were never candidates.
      expect(status).toBe(200);
      expect(body.model.id).toBe('s-claude');
      expect(ollama.requests).toHaveLength(0);
    });
  });

  describe('prompt caching', () => {
    it("passes cache_control to Anthropic and prices cached and cache-write tokens by the registry's prices", async () => {
      anthropic.behave('s-claude', { text: 'Cached answer', usage: { input: 100, output: 50 }, cache: { read: 5000, write: 2000 } });
      const { status, body } = await request(service.baseUrl, 'POST', '/v1/chat/completions', {
        body: {
          model: 's-claude',
          messages: [
            { role: 'system', content: [{ type: 'text', text: 'A long manual.', cache_control: { type: 'ephemeral' } }] },
            { role: 'user', content: 'Question one?', cache_control: { type: 'ephemeral', ttl: '1h' } },
          ],
          tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } }, cache_control: { type: 'ephemeral' } }],
        },
      });

      expect(status).toBe(200);
      const sent = anthropic.requests[0].body;
      expect(sent.system).toEqual([{ type: 'text', text: 'A long manual.', cache_control: { type: 'ephemeral' } }]);
      expect(sent.messages[0].content).toEqual([{ type: 'text', text: 'Question one?', cache_control: { type: 'ephemeral', ttl: '1h' } }]);
      expect(sent.tools[0].cache_control).toEqual({ type: 'ephemeral' });

      // Anthropic's bill: uncached input, cache reads, cache writes and output, each at its own price (per 1K tokens here).
      const expected = (100 * 0.003 + 5000 * 0.0003 + 2000 * 0.00375 + 50 * 0.015) / 1000;
      expect(body.usage).toEqual({ prompt_tokens: 7100, completion_tokens: 50, total_tokens: 7150, prompt_tokens_details: { cached_tokens: 5000 }, estimated_cost: expect.closeTo(expected, 12) });

      const stored = await request(service.baseUrl, 'GET', `/api/models/requests/${body.id}`);
      expect(stored.body.result.usage).toEqual({
        prompt_tokens: 7100,
        completion_tokens: 50,
        total_tokens: 7150,
        cached_tokens: 5000,
        cache_write_tokens: 2000,
        estimated_cost: expect.closeTo(expected, 12),
      });
    });

    it("reports an OpenAI-protocol model's cached tokens, which the registry prices at the input rate when it has no cached price", async () => {
      openai.behave('s-gpt', { text: 'ok', usage: { input: 2000, output: 10 }, cache: { read: 1024 } });
      const completion = await client.chat.completions.create({ model: 's-gpt', messages: [{ role: 'user', content: 'hi' }] });

      expect(completion.usage).toMatchObject({ prompt_tokens: 2000, prompt_tokens_details: { cached_tokens: 1024 } });
    });
  });
});
