import { ChatOpenAI } from '@langchain/openai';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { registerModel } from '../support/factories';
import { startFakeAnthropic } from '../support/fake-anthropic';
import { FakeOllama } from '../support/fake-ollama';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Tool calling through the official openai SDK and LangChain, on every provider kind that speaks
 * a wire protocol: what the caller gets back, and what each provider's fake received in its own
 * format (docs/parameters.md, "Tools").
 */

const TOOLS: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } },
];
const CALLS = [
  { name: 'get_weather', arguments: '{"city":"Paris"}' },
  { name: 'get_time', arguments: '{"tz":"CET"}' },
];
const QUESTION: ChatCompletionMessageParam = { role: 'user', content: 'Weather and time in Paris?' };

type Kind = 'openai' | 'anthropic' | 'ollama';

describe('tools', () => {
  let service: TestApp;
  let openai: FakeServer;
  let anthropic: FakeServer;
  let ollama: FakeOllama;
  let client: OpenAI;

  const MODEL: Record<Kind, string> = { openai: 't-gpt', anthropic: 't-claude', ollama: 't-llama' };

  /** Scripts the next answers of a kind's model: tool calls (with the vendor's own ids where it has them), or text. */
  function script(kind: Kind, answer: { calls?: boolean; text?: string }): void {
    const calls = answer.calls ? CALLS.map((call, i) => ({ ...call, id: kind === 'anthropic' ? `toolu_0${i + 1}` : `call_0${i + 1}` })) : undefined;
    if (kind === 'openai') openai.behave('t-gpt', { toolCalls: calls, text: answer.text });
    if (kind === 'anthropic') anthropic.behave('t-claude', { toolCalls: calls, text: answer.text });
    // Ollama sends no ids: the gateway makes them.
    if (kind === 'ollama') ollama.behave('llama3', { toolCalls: calls?.map(({ name, arguments: args }) => ({ name, arguments: args })), reply: answer.text });
  }

  /** The body each fake received for its n-th chat request. */
  function received(kind: Kind, index: number): Record<string, any> {
    if (kind === 'openai') return openai.requests.filter((r) => r.path === '/v1/chat/completions')[index].body;
    if (kind === 'anthropic') return anthropic.requests[index].body;
    return ollama.requests.filter((r) => r.path === '/api/chat')[index].body as Record<string, any>;
  }

  beforeAll(async () => {
    [openai, anthropic, ollama] = await Promise.all([startFakeOpenAi(), startFakeAnthropic(), FakeOllama.start()]);
    service = await startTestApp();
    const tools = ['chat', 'function_calling'];
    await registerModel(service, { model_id: 't-gpt', provider: 'openai', capabilities: tools, api_url: openai.url, api_key: 'sk-x', quality: 0.8 });
    await registerModel(service, { model_id: 't-claude', provider: 'anthropic', capabilities: tools, api_url: anthropic.url, api_key: 'sk-ant-x', quality: 0.7 });
    await registerModel(service, { model_id: 't-llama', provider: 'ollama', capabilities: tools, api_url: ollama.url, options: { model: 'llama3' }, quality: 0.6 });
    // The best model of all, but it cannot call tools.
    await registerModel(service, { model_id: 't-plain', provider: 'openai', capabilities: ['chat'], api_url: openai.url, api_key: 'sk-x', quality: 0.99 });
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

  describe.each(['openai', 'anthropic', 'ollama'] as const)('a full round trip through %s', (kind) => {
    /** The second turn: the question, the assistant's calls as the caller got them, and one result per call. */
    const followUp = (calls: { id: string; function: { name: string; arguments: string } }[]): ChatCompletionMessageParam[] => [
      QUESTION,
      { role: 'assistant', content: null, tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: call.function })) },
      ...calls.map((call, i): ChatCompletionMessageParam => ({ role: 'tool', tool_call_id: call.id, content: i === 0 ? '18C and sunny' : '14:05' })),
    ];

    it('calls two tools at once, takes their results back and answers, without streaming', async () => {
      script(kind, { calls: true });
      const first = await client.chat.completions.create({ model: MODEL[kind], messages: [QUESTION], tools: TOOLS });

      expect(first.choices[0].finish_reason).toBe('tool_calls');
      expect(first.choices[0].message.content).toBeNull();
      const calls = first.choices[0].message.tool_calls!.map((call) => call as { id: string; type: string; function: { name: string; arguments: string } });
      expect(calls.map((call) => [call.type, call.function.name, JSON.parse(call.function.arguments)])).toEqual([
        ['function', 'get_weather', { city: 'Paris' }],
        ['function', 'get_time', { tz: 'CET' }],
      ]);
      expect(new Set(calls.map((call) => call.id)).size).toBe(2);
      if (kind !== 'ollama') expect(calls.map((call) => call.id)).toEqual(kind === 'anthropic' ? ['toolu_01', 'toolu_02'] : ['call_01', 'call_02']);
      expectToolsReceived(kind, received(kind, 0));

      script(kind, { text: 'Sunny, 18C, at 14:05.' });
      const second = await client.chat.completions.create({ model: MODEL[kind], messages: followUp(calls), tools: TOOLS });

      expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Sunny, 18C, at 14:05.' } });
      expectHistoryReceived(kind, received(kind, 1), calls.map((call) => call.id));
    });

    it('streams the tool calls, which client.chat.completions.stream() assembles, then streams the answer', async () => {
      script(kind, { calls: true });
      const stream = client.chat.completions.stream({ model: MODEL[kind], messages: [QUESTION], tools: TOOLS });
      const first = await stream.finalChatCompletion();

      expect(first.choices[0].finish_reason).toBe('tool_calls');
      const calls = first.choices[0].message.tool_calls!.map((call) => call as { id: string; function: { name: string; arguments: string } });
      expect(calls.map((call) => [call.function.name, JSON.parse(call.function.arguments)])).toEqual([
        ['get_weather', { city: 'Paris' }],
        ['get_time', { tz: 'CET' }],
      ]);
      expect(calls.every((call) => call.id.length > 0)).toBe(true);
      expect(received(kind, 0).stream).toBe(true);

      script(kind, { text: 'Sunny, 18C, at 14:05.' });
      const answer = await client.chat.completions.stream({ model: MODEL[kind], messages: followUp(calls), tools: TOOLS }).finalChatCompletion();

      expect(answer.choices[0].message.content).toBe('Sunny, 18C, at 14:05.');
      expectHistoryReceived(kind, received(kind, 1), calls.map((call) => call.id));
    });
  });

  /** The request's tools, in the provider's own format. */
  function expectToolsReceived(kind: Kind, body: Record<string, any>): void {
    const weatherSchema = TOOLS[0].type === 'function' ? TOOLS[0].function.parameters : undefined;
    if (kind === 'anthropic') {
      expect(body.tools).toEqual([
        { name: 'get_weather', description: 'Current weather for a city', input_schema: weatherSchema },
        { name: 'get_time', input_schema: { type: 'object', properties: { tz: { type: 'string' } } } },
      ]);
    } else {
      expect(body.tools).toEqual([
        { type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherSchema } },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } },
      ]);
    }
  }

  /** The assistant's calls and their results, in the provider's own format, with the ids the caller sent. */
  function expectHistoryReceived(kind: Kind, body: Record<string, any>, ids: string[]): void {
    if (kind === 'openai') {
      expect(body.messages.slice(1)).toEqual([
        { role: 'assistant', content: null, tool_calls: CALLS.map((call, i) => ({ id: ids[i], type: 'function', function: call })) },
        { role: 'tool', tool_call_id: ids[0], content: '18C and sunny' },
        { role: 'tool', tool_call_id: ids[1], content: '14:05' },
      ]);
    } else if (kind === 'anthropic') {
      expect(body.messages.slice(1)).toEqual([
        {
          role: 'assistant',
          content: CALLS.map((call, i) => ({ type: 'tool_use', id: ids[i], name: call.name, input: JSON.parse(call.arguments) })),
        },
        // Both results in one user turn, as Anthropic requires.
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: ids[0], content: '18C and sunny' },
            { type: 'tool_result', tool_use_id: ids[1], content: '14:05' },
          ],
        },
      ]);
    } else {
      expect(body.messages.slice(1)).toEqual([
        expect.objectContaining({ role: 'assistant', tool_calls: CALLS.map((call) => expect.objectContaining({ function: { name: call.name, arguments: JSON.parse(call.arguments) } })) }),
        expect.objectContaining({ role: 'tool', tool_name: 'get_weather', content: '18C and sunny' }),
        expect.objectContaining({ role: 'tool', tool_name: 'get_time', content: '14:05' }),
      ]);
    }
  }

  it('returns tool_calls on /api/models/chat too, and streams them as tool_call events', async () => {
    script('openai', { calls: true });
    const { status, body } = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 't-gpt', messages: [QUESTION], tools: TOOLS, tool_choice: 'required' },
    });

    expect(status).toBe(200);
    expect(body.metadata.finish_reason).toBe('tool_calls');
    expect(body.tool_calls).toEqual(CALLS.map((call, i) => ({ id: `call_0${i + 1}`, type: 'function', function: call })));
    expect(openai.requests[0].body.tool_choice).toBe('required');
    // What GET returns later is what the caller got.
    const stored = await request(service.baseUrl, 'GET', `/api/models/requests/${body.completion_id}`);
    expect(stored.body.result.tool_calls).toEqual(body.tool_calls);

    script('openai', { calls: true });
    const streamed = await fetch(`${service.baseUrl}/api/models/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model_id: 't-gpt', messages: [QUESTION], tools: TOOLS, stream: true }),
    });
    const frames = (await streamed.text()).split('\n\n').filter(Boolean);
    const toolEvents = frames.filter((frame) => frame.startsWith('event: tool_call')).map((frame) => JSON.parse(frame.split('data: ')[1]));
    expect(toolEvents[0]).toEqual({ index: 0, id: 'call_01', name: 'get_weather', arguments: '' });
    expect(toolEvents.filter((e) => e.index === 0).map((e) => e.arguments).join('')).toBe(CALLS[0].arguments);
    const done = JSON.parse(frames.find((frame) => frame.startsWith('event: done'))!.split('data: ')[1]);
    expect(done.tool_calls).toEqual(body.tool_calls);
  });

  it('routes requests with tools only to models with function_calling, and answers 422 for a named model without it', async () => {
    script('openai', { calls: true });
    // A task type of its own: its scores are the registered baselines, whatever the requests above taught the router.
    const routed = await client.chat.completions.create({ model: 'auto:tool_routing', messages: [QUESTION], tools: TOOLS });
    expect(routed.model).toBe('t-gpt');

    const { status, body } = await request(service.baseUrl, 'POST', '/v1/chat/completions', { body: { model: 't-plain', messages: [QUESTION], tools: TOOLS } });
    expect(status).toBe(422);
    expect(body.error.message).toContain('function_calling');
    expect(openai.requests).toHaveLength(1);
  });

  it('passes parallel_tool_calls and tool_choice where providers take them, and names the rest in X-Ignored-Params', async () => {
    script('anthropic', { calls: true });
    const claude = await client.chat.completions
      .create({ model: 't-claude', messages: [QUESTION], tools: TOOLS, tool_choice: { type: 'function', function: { name: 'get_time' } }, parallel_tool_calls: false })
      .withResponse();
    expect(anthropic.requests[0].body.tool_choice).toEqual({ type: 'tool', name: 'get_time', disable_parallel_tool_use: true });
    expect(claude.response.headers.get('x-ignored-params')).toBeNull();

    script('ollama', { calls: true });
    const llama = await client.chat.completions.create({ model: 't-llama', messages: [QUESTION], tools: TOOLS, parallel_tool_calls: false }).withResponse();
    expect(llama.response.headers.get('x-ignored-params')).toBe('parallel_tool_calls');
  });

  it('refuses a tool result that answers no call, and a tool choice naming no tool, with 400 naming the field', async () => {
    const orphan = await request(service.baseUrl, 'POST', '/v1/chat/completions', {
      body: { model: 't-gpt', messages: [QUESTION, { role: 'tool', tool_call_id: 'call_nowhere', content: 'x' }], tools: TOOLS },
    });
    expect(orphan.status).toBe(400);
    expect(orphan.body.error.param).toBe('messages[1].tool_call_id');

    const unknown = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { messages: [QUESTION], tools: TOOLS, tool_choice: { type: 'function', function: { name: 'nope' } } },
    });
    expect(unknown.status).toBe(400);
    expect(Object.keys(unknown.body.error.details.fields)).toEqual(['tool_choice.function.name']);
    expect(openai.requests).toHaveLength(0);
  });

  it('LangChain bindTools(...).invoke returns tool_calls', async () => {
    script('openai', { calls: true });
    const model = new ChatOpenAI({ model: 't-gpt', apiKey: 'unused', maxRetries: 0, configuration: { baseURL: `${service.baseUrl}/v1` } });
    const reply = await model.bindTools(TOOLS).invoke('Weather and time in Paris?');

    expect(reply.tool_calls).toEqual([
      expect.objectContaining({ name: 'get_weather', args: { city: 'Paris' }, id: 'call_01' }),
      expect.objectContaining({ name: 'get_time', args: { tz: 'CET' }, id: 'call_02' }),
    ]);
    expect(openai.requests[0].body.tools).toHaveLength(2);
  });
});
