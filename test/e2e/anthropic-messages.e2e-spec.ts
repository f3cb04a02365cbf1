import Anthropic, { APIError } from '@anthropic-ai/sdk';
import type { MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import { grammarProblems, parseFrames } from '../support/anthropic-stream';
import { registerModel } from '../support/factories';
import { startFakeAnthropic } from '../support/fake-anthropic';
import { FakeOllama } from '../support/fake-ollama';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

/**
 * `/v1/messages` through the official @anthropic-ai/sdk: Anthropic models get the body unchanged
 * and answer with their own; OpenAI-protocol and Ollama models are translated both ways, tools and
 * images included. Streams are checked frame by frame against Anthropic's grammar.
 */

const KEY = 'client-key-0123456789abcdef';
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const WEATHER: Tool = { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const QUESTION: MessageParam = { role: 'user', content: 'Weather in Paris?' };

type Kind = 'anthropic' | 'openai' | 'ollama';

describe('Anthropic Messages API (/v1/messages)', () => {
  let service: TestApp;
  let openai: FakeServer;
  let anthropic: FakeServer;
  let ollama: FakeOllama;
  let client: Anthropic;

  const MODEL: Record<Kind, string> = { anthropic: 'a-claude', openai: 'a-gpt', ollama: 'a-llama' };

  function script(kind: Kind, answer: { text?: string; calls?: boolean; usage?: { input: number; output: number } }): void {
    const toolCalls = answer.calls ? [{ id: kind === 'anthropic' ? 'toolu_01' : 'call_01', name: 'get_weather', arguments: '{"city":"Paris"}' }] : undefined;
    if (kind === 'anthropic') anthropic.behave('claude-upstream', { text: answer.text, toolCalls, usage: answer.usage });
    if (kind === 'openai') openai.behave('a-gpt', { text: answer.text, toolCalls, usage: answer.usage });
    if (kind === 'ollama') ollama.behave('llama3', { reply: answer.text, toolCalls: toolCalls?.map(({ name, arguments: args }) => ({ name, arguments: args })) });
  }

  function received(kind: Kind, index = 0): Record<string, any> {
    if (kind === 'anthropic') return anthropic.requests[index].body;
    if (kind === 'openai') return openai.requests.filter((r) => r.path === '/v1/chat/completions')[index].body;
    return ollama.requests.filter((r) => r.path === '/api/chat')[index].body as Record<string, any>;
  }

  const raw = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${service.baseUrl}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    [openai, anthropic, ollama] = await Promise.all([startFakeOpenAi(), startFakeAnthropic(), FakeOllama.start()]);
    service = await startTestApp({ CLIENT_API_KEYS: KEY });
    const capabilities = ['chat', 'function_calling', 'vision'];
    const size = { context_length: 200_000, token_limit: 64_000 };
    await registerModel(service, { model_id: 'a-claude', provider: 'anthropic', capabilities, api_url: anthropic.url, api_key: 'sk-ant-x', options: { model: 'claude-upstream' }, quality: 0.9, ...size });
    await registerModel(service, { model_id: 'a-gpt', provider: 'openai', capabilities, api_url: openai.url, api_key: 'sk-x', quality: 0.8, ...size });
    await registerModel(service, { model_id: 'a-llama', provider: 'ollama', capabilities, api_url: ollama.url, options: { model: 'llama3' }, quality: 0.7, ...size });
    client = new Anthropic({ baseURL: service.baseUrl, apiKey: KEY, maxRetries: 0 });
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

  describe('an Anthropic model: the body passed through unchanged', () => {
    it('forwards every field (thinking, top_k, temperature, metadata, the beta header) and returns the answer as Anthropic sent it', async () => {
      script('anthropic', { text: 'Hello from Claude', usage: { input: 12, output: 3 } });
      const body = {
        model: 'a-claude',
        max_tokens: 2000,
        system: [{ type: 'text' as const, text: 'Be brief.', cache_control: { type: 'ephemeral' as const } }],
        messages: [{ role: 'user' as const, content: 'hi' }],
        thinking: { type: 'enabled' as const, budget_tokens: 1024 },
        top_k: 5,
        temperature: 0.5,
        metadata: { user_id: 'user-1' },
      };
      const { data, response } = await client.messages.create(body, { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } }).withResponse();

      expect(data).toMatchObject({ id: expect.stringMatching(/^msg_fake/), type: 'message', content: [{ type: 'text', text: 'Hello from Claude' }], stop_reason: 'end_turn' });
      expect(received('anthropic')).toEqual({ ...body, model: 'claude-upstream', stream: false });
      expect(anthropic.requests[0].headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
      expect(response.headers.get('x-ignored-params')).toBeNull();
      const requestId = response.headers.get('request-id')!;
      expect(requestId).toBe(response.headers.get('x-request-id'));
      const [row] = await service.sql.query(`SELECT status, model_id, prompt_tokens, completion_tokens FROM inference_requests WHERE id = $1`, [requestId]);
      expect(row).toEqual({ status: 'completed', model_id: 'a-claude', prompt_tokens: 12, completion_tokens: 3 });
    });

    it("streams Anthropic's own events, which messages.stream().finalMessage() assembles, in Anthropic's grammar", async () => {
      script('anthropic', { text: 'one two three' });
      const final = await client.messages.stream({ model: 'a-claude', max_tokens: 100, messages: [{ role: 'user', content: 'count' }] }).finalMessage();
      expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'one two three' })]);

      const frames = parseFrames(await (await raw({ model: 'a-claude', max_tokens: 100, messages: [{ role: 'user', content: 'count' }], stream: true })).text());
      expect(grammarProblems(frames)).toEqual([]);
      expect(frames.slice(0, 2).map((frame) => frame.event)).toEqual(['message_start', 'ping']);
    });
  });

  describe.each(['openai', 'ollama'] as const)('a %s model: translated both ways', (kind) => {
    it('answers messages.create in Anthropic shape, from what the model got in its own', async () => {
      script(kind, { text: 'Bonjour.' });
      const { data, response } = await client.messages
        .create({ model: MODEL[kind], max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }], thinking: { type: 'enabled', budget_tokens: 1024 } })
        .withResponse();

      expect(data).toMatchObject({ type: 'message', role: 'assistant', model: MODEL[kind], content: [{ type: 'text', text: 'Bonjour.' }], stop_reason: 'end_turn', stop_sequence: null });
      expect(data.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number), cache_read_input_tokens: 0 });
      expect(received(kind).messages).toEqual([expect.objectContaining({ role: 'system', content: 'Be brief.' }), expect.objectContaining({ role: 'user', content: 'hi' })]);
      expect(response.headers.get('x-ignored-params')).toContain('thinking');
    });

    it('streams text in Anthropic grammar, which messages.stream().finalMessage() assembles', async () => {
      script(kind, { text: 'one two three' });
      const final = await client.messages.stream({ model: MODEL[kind], max_tokens: 100, messages: [{ role: 'user', content: 'count' }] }).finalMessage();
      expect(final.content).toEqual([{ type: 'text', text: 'one two three' }]);
      expect(final.usage.output_tokens).toBeGreaterThan(0);
    });

    it('takes an image block: the model gets it in its own format', async () => {
      script(kind, { text: 'A pixel.' });
      await client.messages.create({
        model: MODEL[kind],
        max_tokens: 100,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } }] }],
      });

      if (kind === 'openai') {
        expect(received(kind).messages[0].content).toEqual([
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
        ]);
      } else {
        expect(received(kind).messages[0]).toMatchObject({ content: 'What is this?', images: [PNG_BASE64] });
      }
    });
  });

  describe.each(['anthropic', 'openai', 'ollama'] as const)('a tool round trip with tool_use / tool_result through %s', (kind) => {
    it.each([false, true])('stream: %s', async (stream) => {
      script(kind, { calls: true });
      const ask = { model: MODEL[kind], max_tokens: 200, tools: [WEATHER], messages: [QUESTION] };
      const first = stream ? await client.messages.stream(ask).finalMessage() : await client.messages.create(ask);

      expect(first.stop_reason).toBe('tool_use');
      const use = first.content.find((block) => block.type === 'tool_use')!;
      expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' }, id: expect.any(String) });
      if (kind !== 'ollama') expect(use.id).toBe(kind === 'anthropic' ? 'toolu_01' : 'call_01');

      script(kind, { text: 'Sunny, 18C.' });
      const followUp: MessageParam[] = [
        QUESTION,
        { role: 'assistant', content: first.content.filter((block) => block.type === 'tool_use') },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '18C and sunny' }] },
      ];
      const answer = stream
        ? await client.messages.stream({ ...ask, messages: followUp }).finalMessage()
        : await client.messages.create({ ...ask, messages: followUp });

      expect(answer.content).toEqual([expect.objectContaining({ type: 'text', text: 'Sunny, 18C.' })]);
      const history = received(kind, 1).messages;
      if (kind === 'anthropic') expect(history).toEqual(followUp);
      if (kind === 'openai') {
        expect(received(kind, 0).tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: WEATHER.input_schema } }]);
        expect(history.slice(1)).toEqual([
          { role: 'assistant', content: null, tool_calls: [{ id: use.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
          { role: 'tool', tool_call_id: use.id, content: '18C and sunny' },
        ]);
      }
      if (kind === 'ollama') expect(history[2]).toMatchObject({ role: 'tool', tool_name: 'get_weather', content: '18C and sunny' });
    });
  });

  it('writes text and tool calls of a translated stream as the grammar says: a text block, then a tool_use block of input_json_delta', async () => {
    openai.behave('a-gpt', { text: 'Let me check.', toolCalls: [{ id: 'call_9', name: 'get_weather', arguments: '{"city":"Oslo"}' }] });
    const frames = parseFrames(await (await raw({ model: 'a-gpt', max_tokens: 100, tools: [WEATHER], messages: [QUESTION], stream: true })).text());

    expect(grammarProblems(frames)).toEqual([]);
    const starts = frames.filter((frame) => frame.event === 'content_block_start').map((frame) => frame.data.content_block);
    expect(starts).toEqual([{ type: 'text', text: '' }, { type: 'tool_use', id: 'call_9', name: 'get_weather', input: {} }]);
    const json = frames.filter((frame) => frame.data.delta?.type === 'input_json_delta').map((frame) => frame.data.delta.partial_json);
    expect(json.join('')).toBe('{"city":"Oslo"}');
    expect(frames.find((frame) => frame.event === 'message_delta')!.data.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
  });

  describe('errors as the SDK typed errors', () => {
    it('BadRequestError for an invalid body, naming the field', async () => {
      const error = await client.messages.create({ model: 'a-gpt', messages: [QUESTION] } as unknown as Anthropic.MessageCreateParamsNonStreaming).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect(error).toMatchObject({ status: 400, error: { type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } } });
    });

    it('AuthenticationError for a wrong key, x-api-key or Bearer', async () => {
      const wrong = new Anthropic({ baseURL: service.baseUrl, apiKey: 'wrong-key', maxRetries: 0 });
      await expect(wrong.messages.create({ model: 'a-gpt', max_tokens: 10, messages: [QUESTION] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
      const bearer = new Anthropic({ baseURL: service.baseUrl, authToken: KEY, apiKey: null, maxRetries: 0 });
      openai.behave('a-gpt', { text: 'ok' });
      await expect(bearer.messages.create({ model: 'a-gpt', max_tokens: 10, messages: [QUESTION] })).resolves.toMatchObject({ type: 'message' });
    });

    it('NotFoundError for an unknown model', async () => {
      const error = await client.messages.create({ model: 'no-such-model', max_tokens: 10, messages: [QUESTION] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.NotFoundError);
      expect(error).toMatchObject({ error: { error: { type: 'not_found_error' } } });
    });

    it('OverloadedError (529) when no model can serve, with the request id', async () => {
      const error = await client.messages
        .create({ model: 'auto', max_tokens: 10, messages: [QUESTION] }, { headers: { 'X-Min-Quality': '0.99' } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.OverloadedError);
      expect(error).toMatchObject({ status: 529, error: { type: 'error', error: { type: 'overloaded_error' } } });
      expect((error as APIError).requestID).toEqual(expect.any(String));
    });
  });

  it('counts tokens with messages.countTokens, tools included', async () => {
    const bare = await client.messages.countTokens({ model: 'a-gpt', system: 'Be brief.', messages: [QUESTION] });
    const withTools = await client.messages.countTokens({ model: 'a-gpt', system: 'Be brief.', messages: [QUESTION], tools: [WEATHER] });
    const routed = await client.messages.countTokens({ model: 'auto', messages: [QUESTION] });

    expect(bare.input_tokens).toBeGreaterThan(3);
    expect(withTools.input_tokens).toBeGreaterThan(bare.input_tokens);
    expect(routed.input_tokens).toBeGreaterThan(0);
  });

  it('takes the request id (request-id header) for feedback', async () => {
    script('openai', { text: 'ok' });
    const { request_id: requestId } = await client.messages.create({ model: 'a-gpt', max_tokens: 10, messages: [QUESTION] }).withResponse();

    const body = { request_id: requestId, success: true, quality_rating: 0.9 };
    const feedback = await request(service.baseUrl, 'POST', '/api/models/feedback', { headers: { 'x-api-key': KEY }, body });
    expect(feedback.status).toBe(200);
  });

  it("maps the model name a client sends through an operator's alias, e.g. Claude Code's", async () => {
    const put = await request(service.baseUrl, 'PUT', '/api/admin/model-aliases/claude-sonnet-4-5*', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { target: 'a-gpt' } });
    expect(put.status).toBe(200);
    script('openai', { text: 'From the alias.' });

    const data = await client.messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 10, messages: [QUESTION] });
    expect(data).toMatchObject({ model: 'a-gpt', content: [{ type: 'text', text: 'From the alias.' }] });
  });

  it("takes Claude Code's request shape when translating: system turns mid-conversation, output_config, a long metadata.user_id", async () => {
    script('openai', { text: 'ok' });
    const userId = JSON.stringify({ device_id: 'd'.repeat(64), account_uuid: '', session_id: '7c1f1a8e-3c1b-4c55-9f3e-2b1d0c9a8e7f' });
    const response = await raw({
      model: 'a-gpt',
      max_tokens: 32000,
      stream: false,
      system: [{ type: 'text', text: 'You are an agent.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] },
        { role: 'system', content: 'Skills: none.' },
      ],
      metadata: { user_id: userId },
      thinking: { type: 'adaptive' },
      context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
      output_config: { effort: 'high' },
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-ignored-params')).toBe('context_management,thinking');
    expect(received('openai')).toMatchObject({
      reasoning_effort: 'high',
      messages: [
        { role: 'system', content: 'You are an agent.' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        { role: 'system', content: 'Skills: none.' },
      ],
    });
    const [row] = await service.sql.query(`SELECT metadata FROM inference_requests WHERE id = $1`, [response.headers.get('request-id')]);
    expect(row.metadata.user_id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
