import OpenAI from 'openai';
import { registerModel } from '../support/factories';
import { startFakeAnthropic } from '../support/fake-anthropic';
import { FakeOllama } from '../support/fake-ollama';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { TINY_MODEL } from '../support/paths';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Sampling parameters and hints (docs/parameters.md): what each provider received through its
 * real adapter, what X-Ignored-Params names, and which models are eligible.
 */
describe('sampling parameters and hints', () => {
  let service: TestApp;
  let openai: FakeServer;
  let anthropic: FakeServer;
  let ollama: FakeOllama;
  let client: OpenAI;

  beforeAll(async () => {
    [openai, anthropic, ollama] = await Promise.all([startFakeOpenAi(), startFakeAnthropic(), FakeOllama.start()]);
    service = await startTestApp({ LOCAL_MODEL_PATH: TINY_MODEL });
    // `probe` is a capability only these two have, so that `auto` chooses between them alone; Claude ranks first.
    await registerModel(service, { model_id: 'p-gpt', provider: 'openai', capabilities: ['chat', 'probe'], api_url: openai.url, api_key: 'sk-x', quality: 0.3 });
    await registerModel(service, { model_id: 'p-claude', provider: 'anthropic', capabilities: ['chat', 'probe', 'claude_only'], api_url: anthropic.url, api_key: 'sk-ant-x', quality: 0.95 });
    await registerModel(service, { model_id: 'p-legacy', provider: 'openai', capabilities: ['completion'], api_url: openai.url, api_key: 'sk-x', options: { completions_api: true } });
    await registerModel(service, { model_id: 'p-llama', provider: 'ollama', capabilities: ['chat', 'completion'], api_url: ollama.url, options: { model: 'llama3' } });
    client = new OpenAI({ baseURL: `${service.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await service.close();
    await Promise.all([openai.close(), anthropic.close(), ollama.close()]);
  });

  beforeEach(() => {
    openai.reset();
    anthropic.reset();
    ollama.reset();
  });

  it('passes stop, top_p and every hint chat takes to an OpenAI-protocol model, through the openai SDK, and names only parallel_tool_calls', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'p-gpt',
        messages: [{ role: 'user', content: 'hi' }],
        stop: ['END'],
        top_p: 0.25,
        seed: 11,
        presence_penalty: 0.5,
        frequency_penalty: 0.25,
        logit_bias: { '1234': -50 },
        user: 'user-5',
        service_tier: 'flex',
        parallel_tool_calls: false,
      })
      .withResponse();

    expect(data.model).toBe('p-gpt');
    expect(openai.requests[0].body).toMatchObject({
      stop: ['END'],
      top_p: 0.25,
      seed: 11,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      logit_bias: { '1234': -50 },
      user: 'user-5',
      service_tier: 'flex',
    });
    expect(openai.requests[0].body).not.toHaveProperty('parallel_tool_calls');
    expect(response.headers.get('x-ignored-params')).toBe('parallel_tool_calls');
  });

  it('sends no X-Ignored-Params when the provider takes every hint given', async () => {
    const { response } = await client.chat.completions.create({ model: 'p-gpt', messages: [{ role: 'user', content: 'hi' }], seed: 1 }).withResponse();

    expect(openai.requests[0].body.seed).toBe(1);
    expect(response.headers.get('x-ignored-params')).toBeNull();
  });

  it("names the hints OpenAI's legacy completions endpoint does not take, and passes the rest", async () => {
    const { status, headers } = await request(service.baseUrl, 'POST', '/v1/completions', {
      body: { model: 'p-legacy', prompt: 'Once', stop: ['.'], seed: 4, reasoning_effort: 'high', service_tier: 'auto' },
    });

    expect(status).toBe(200);
    expect(openai.requests[0].path).toBe('/v1/completions');
    expect(openai.requests[0].body).toMatchObject({ stop: ['.'], seed: 4 });
    expect(openai.requests[0].body).not.toHaveProperty('reasoning_effort');
    expect(headers.get('x-ignored-params')).toBe('reasoning_effort,service_tier');
  });

  it('answers 503 with the parameter as the reason when no model can honour it', async () => {
    const { status, body } = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { messages: [{ role: 'user', content: 'hi' }], requirements: { capabilities: ['claude_only'] }, top_p: 0.5 },
    });

    expect(status).toBe(503);
    expect(body.error.message).toContain('honouring top_p');
    expect(body.error.details.rejected).toContainEqual({ model_id: 'p-claude', reason: expect.stringContaining('top_p cannot be honoured') });
  });

  it('sends stop as stop_sequences and user as metadata.user_id to Anthropic, and names the hints it cannot take', async () => {
    const { status, headers, body } = await request(service.baseUrl, 'POST', '/v1/chat/completions', {
      body: { model: 'p-claude', messages: [{ role: 'user', content: 'hi' }], stop: 'END', seed: 3, logit_bias: { '5': 1 }, user: 'user-6' },
    });

    expect(status).toBe(200);
    expect(body.model).toBe('p-claude');
    const sent = anthropic.requests[0].body;
    expect(sent.stop_sequences).toEqual(['END']);
    expect(sent.metadata).toEqual({ user_id: 'user-6' });
    expect(sent).not.toHaveProperty('seed');
    expect(sent).not.toHaveProperty('logit_bias');
    expect(headers.get('x-ignored-params')).toBe('logit_bias,seed');
  });

  it('names the ignored hints on a stream too', async () => {
    const response = await fetch(`${service.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'p-claude', messages: [{ role: 'user', content: 'hi' }], stream: true, reasoning_effort: 'low', presence_penalty: 1 }),
    });
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(text).toContain('data: [DONE]');
    expect(response.headers.get('x-ignored-params')).toBe('presence_penalty,reasoning_effort');
  });

  it('names on an /api/models stream, whose headers go out at its start, what its candidates would ignore', async () => {
    const response = await fetch(`${service.baseUrl}/api/models/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model_id: 'p-claude', fallback: false, messages: [{ role: 'user', content: 'hi' }], stream: true, seed: 2 }),
    });
    const text = await response.text();

    expect(text).toContain('event: done');
    expect(response.headers.get('x-ignored-params')).toBe('seed');
  });

  it('sends stop, top_p, seed and penalties as Ollama options on /api/models/chat, and names logit_bias and user', async () => {
    const { status, headers, body } = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: {
        model_id: 'p-llama',
        messages: [{ role: 'user', content: 'hi' }],
        stop: ['\n\n', 'END'],
        top_p: 0.5,
        seed: 9,
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
        temperature: 0.3,
        max_tokens: 20,
        logit_bias: { '7': 2 },
        user: 'u-1',
      },
    });

    expect(status).toBe(200);
    expect(body.model.id).toBe('p-llama');
    expect(ollama.requests[0].body?.options).toEqual({
      num_predict: 20,
      temperature: 0.3,
      stop: ['\n\n', 'END'],
      top_p: 0.5,
      seed: 9,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
    });
    expect(headers.get('x-ignored-params')).toBe('logit_bias,user');
  });

  it('answers 422 model_cannot_serve naming top_p or temperature when a named Anthropic model is asked for them', async () => {
    const native = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'p-claude', messages: [{ role: 'user', content: 'hi' }], top_p: 0.9 },
    });
    const compat = await request(service.baseUrl, 'POST', '/v1/chat/completions', {
      body: { model: 'p-claude', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2 },
    });

    expect(native.status).toBe(422);
    expect(native.body.error).toMatchObject({ code: 'model_cannot_serve', details: { model_id: 'p-claude', param: 'top_p' } });
    expect(native.body.error.message).toContain('top_p');
    expect(compat.status).toBe(422);
    expect(compat.body.error).toMatchObject({ code: 'model_cannot_serve', param: 'temperature' });
    expect(anthropic.requests).toHaveLength(0);
  });

  it('routes auto around a model that cannot honour a parameter, to one that can', async () => {
    const ask = (extra: Record<string, unknown>) =>
      request(service.baseUrl, 'POST', '/api/models/chat', {
        body: { messages: [{ role: 'user', content: 'hi' }], requirements: { capabilities: ['probe'] }, ...extra },
      });

    const plain = await ask({});
    const withTopP = await ask({ top_p: 0.5 });

    expect(plain.body.model.id).toBe('p-claude');
    expect(withTopP.status).toBe(200);
    expect(withTopP.body.model.id).toBe('p-gpt');
    expect(openai.requests.at(-1)?.body.top_p).toBe(0.5);
  });

  it('refuses bad values with a 400 naming each field', async () => {
    const { status, body } = await request(service.baseUrl, 'POST', '/api/models/completion', {
      body: { prompt: 'x', top_p: 2, stop: ['a', 'b', 'c', 'd', 'e'], logit_bias: { x: 1 }, seed: 1.5 },
    });

    expect(status).toBe(400);
    expect(Object.keys(body.error.details.fields).sort()).toEqual(['logit_bias', 'seed', 'stop', 'top_p']);
  });

  describe('a local GGUF model', () => {
    const complete = (extra: Record<string, unknown>) =>
      request(service.baseUrl, 'POST', '/api/models/completion', {
        body: { model_id: 'stories260k', prompt: 'Once upon a time', temperature: 0, max_tokens: 24, ...extra },
      });

    it('ends its answer before a stop sequence that its greedy continuation contains', async () => {
      const free = await complete({});
      const stopped = await complete({ stop: 'little', seed: 5, logit_bias: { '3': 1 } });

      expect(free.body.content).toContain('little');
      expect(stopped.status).toBe(200);
      expect(stopped.body.content).toBe(free.body.content.slice(0, free.body.content.indexOf('little')));
      expect(stopped.body.metadata.finish_reason).toBe('stop');
      expect(stopped.headers.get('x-ignored-params')).toBe('logit_bias');
    });
  });

  describe('n: several choices', () => {
    it('answers with n choices from an OpenAI-protocol model, through the openai SDK, and as alternatives on /api', async () => {
      openai.behave('p-gpt', { text: 'First.', alternatives: ['Second.', 'Third.'] });
      const completion = await client.chat.completions.create({ model: 'p-gpt', messages: [{ role: 'user', content: 'hi' }], n: 3 });

      expect(openai.requests[0].body.n).toBe(3);
      expect(completion.choices.map((choice) => [choice.index, choice.message.content, choice.finish_reason])).toEqual([
        [0, 'First.', 'stop'],
        [1, 'Second.', 'stop'],
        [2, 'Third.', 'stop'],
      ]);

      openai.behave('p-gpt', { text: 'One.', alternatives: ['Two.'] });
      const { body } = await request(service.baseUrl, 'POST', '/api/models/chat', { body: { model_id: 'p-gpt', messages: [{ role: 'user', content: 'hi' }], n: 2 } });
      expect(body.content).toBe('One.');
      expect(body.alternatives).toEqual([{ content: 'Two.', finish_reason: 'stop' }]);
    });

    it('routes n above 1 to OpenAI-protocol models only, and a named model of another kind answers 422 naming n', async () => {
      const routed = await request(service.baseUrl, 'POST', '/api/models/chat', {
        body: { messages: [{ role: 'user', content: 'hi' }], requirements: { capabilities: ['probe'] }, n: 2 },
      });
      // Claude ranks first for `probe`, but cannot give several choices.
      expect(routed.body.model.id).toBe('p-gpt');
      expect(anthropic.requests).toHaveLength(0);

      const named = await request(service.baseUrl, 'POST', '/v1/chat/completions', { body: { model: 'p-claude', messages: [{ role: 'user', content: 'hi' }], n: 2 } });
      expect(named.status).toBe(422);
      expect(named.body.error).toMatchObject({ param: 'n', code: 'model_cannot_serve' });
    });

    it('refuses n above 1 with stream, naming n, before any provider call', async () => {
      const { status, body } = await request(service.baseUrl, 'POST', '/v1/chat/completions', {
        body: { model: 'p-gpt', messages: [{ role: 'user', content: 'hi' }], n: 2, stream: true },
      });

      expect(status).toBe(400);
      expect(body.error.param).toBe('n');
      expect(openai.requests).toHaveLength(0);
    });
  });
});
