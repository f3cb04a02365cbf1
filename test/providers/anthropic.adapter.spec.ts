import { AnthropicAdapter } from '../../src/providers/anthropic/anthropic.adapter';
import { ChatCall, ChatMessage, CompletionCall, ProviderTarget, ToolChoice, ToolDefinition } from '../../src/providers/provider.types';
import { startFakeAnthropic } from '../support/fake-anthropic';
import { caught, collect, deltasOf, describeAdapterContract, notApplicable, scriptedServer, startForSuite } from './adapter-contract';

const API_KEY = 'sk-ant-test-0123456789abcdef';
const MODEL = 'claude-fake';
const WEATHER: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
/** A 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('AnthropicAdapter against a fake Anthropic server', () => {
  const server = startForSuite(startFakeAnthropic);
  const adapter = new AnthropicAdapter();

  function target(overrides: Partial<ProviderTarget> = {}): ProviderTarget {
    return { modelId: 'our-claude', providerModel: MODEL, baseUrl: server().url, apiKey: API_KEY, options: {}, ...overrides };
  }

  describeAdapterContract({
    adapter,
    target,
    upstream: {
      ...scriptedServer(server, MODEL),
      baseUrlAt: (port) => `http://127.0.0.1:${port}`,
      modelSpecific: { id: expect.stringMatching(/^msg_/) },
      finishReasons: [
        ['end_turn', 'stop'],
        ['stop_sequence', 'stop'],
        ['max_tokens', 'length'],
        ['tool_use', 'tool_calls'],
        ['refusal', 'content_filter'],
        ['pause_turn', 'stop'],
      ],
      vendorStatuses: [[529, 'server_error', true]],
    },
    logprobs: notApplicable("Anthropic's API returns no log-probabilities: confidence is always null"),
    embeddings: { refusal: 'Anthropic has no embeddings API' },
  });

  function chat(overrides: Partial<ChatCall> = {}): ChatCall {
    return {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there' },
        { role: 'assistant', content: 'Hi.' },
        { role: 'system', content: 'Answer in English.' },
        { role: 'user', content: 'how are you' },
      ],
      signal: new AbortController().signal,
      timeoutMs: 5_000,
      ...overrides,
    };
  }

  function completion(overrides: Partial<CompletionCall> = {}): CompletionCall {
    return { prompt: 'Once upon a time', signal: new AbortController().signal, timeoutMs: 5_000, ...overrides };
  }

  describe('Anthropic specifics', () => {
    it('sends the system messages joined as the top-level system parameter, never among the messages, streamed or not', async () => {
      await adapter.chat(target(), chat());
      await collect(adapter.streamChat(target(), chat()));

      const [whole, streamed] = server().requests;
      expect(whole.path).toBe('/v1/messages');
      expect(whole.body.system).toBe('Be brief.\n\nAnswer in English.');
      expect(whole.body.messages).toEqual([
        { role: 'user', content: 'hello there' },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'how are you' },
      ]);
      expect(streamed.body).toMatchObject({ stream: true, system: 'Be brief.\n\nAnswer in English.', messages: whole.body.messages });
    });

    it('sends stop as stop_sequences and user as metadata.user_id, and nothing for the hints it cannot take', async () => {
      await adapter.chat(target(), chat({ temperature: 0.3, stop: ['END', '\n\n'], topP: 0.5, seed: 7, presencePenalty: 0.4, frequencyPenalty: -0.3, logitBias: { '50256': -100 }, user: 'user-9', reasoningEffort: 'low' as const, serviceTier: 'flex' as const, parallelToolCalls: false }));

      const { body } = server().requests[0];
      expect(body.stop_sequences).toEqual(['END', '\n\n']);
      expect(body.metadata).toEqual({ user_id: 'user-9' });
      expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'metadata', 'model', 'stop_sequences', 'system']);
    });

    it('leaves out the system parameter when there is no system message', async () => {
      await adapter.chat(target(), chat({ messages: [{ role: 'user', content: 'hi' }] }));

      expect(server().requests[0].body).not.toHaveProperty('system');
    });

    it('sends the API version header the SDK uses', async () => {
      await adapter.chat(target(), chat());

      expect(server().requests[0].headers['anthropic-version']).toEqual(expect.any(String));
    });

    it('defaults max_tokens to 1024, then to the model option, and lets the call override both', async () => {
      await adapter.chat(target(), chat());
      await adapter.chat(target({ options: { max_tokens: 300 } }), chat());
      await adapter.chat(target({ options: { max_tokens: 300 } }), chat({ maxTokens: 20 }));

      expect(server().requests.map((request) => request.body)).toMatchObject([{ max_tokens: 1024 }, { max_tokens: 300 }, { max_tokens: 20 }]);
    });

    it('sends a completion as a single user message without a system parameter, streamed or not', async () => {
      await adapter.complete(target(), completion());
      await collect(adapter.streamComplete(target(), completion()));

      for (const request of server().requests) {
        expect(request.body.messages).toEqual([{ role: 'user', content: 'Once upon a time' }]);
        expect(request.body).not.toHaveProperty('system');
      }
      expect(server().requests).toHaveLength(2);
    });
  });

  describe('tools', () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking both.',
        toolCalls: [
          { id: 'toolu_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'toolu_rome', name: 'get_weather', arguments: '{"city":"Rome"}' },
        ],
      },
      { role: 'tool', toolCallId: 'toolu_paris', content: 'Sunny, 21C' },
      { role: 'tool', toolCallId: 'toolu_rome', content: 'Rainy, 14C' },
    ];

    it('sends the tools in Anthropic form, an empty object schema for a tool without parameters', async () => {
      await adapter.chat(target(), chat({ tools: [WEATHER, { name: 'now', strict: true }] }));

      const { body } = server().requests[0];
      expect(body.tools).toEqual([
        { name: 'get_weather', description: 'The weather in a city', input_schema: WEATHER.parameters },
        { name: 'now', input_schema: { type: 'object', properties: {} }, strict: true },
      ]);
      expect(body).not.toHaveProperty('tool_choice');
    });

    it.each<[ToolChoice, boolean | undefined, unknown]>([
      ['auto', undefined, { type: 'auto' }],
      ['required', undefined, { type: 'any' }],
      [{ name: 'get_weather' }, undefined, { type: 'tool', name: 'get_weather' }],
      ['none', undefined, { type: 'none' }],
      ['auto', false, { type: 'auto', disable_parallel_tool_use: true }],
      ['required', false, { type: 'any', disable_parallel_tool_use: true }],
      [{ name: 'get_weather' }, false, { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true }],
      ['none', false, { type: 'none' }],
    ])('sends the tool choice %j (parallel calls: %s) as tool_choice %j', async (toolChoice, parallelToolCalls, expected) => {
      await adapter.chat(target(), chat({ tools: [WEATHER], toolChoice, parallelToolCalls }));

      expect(server().requests[0].body.tool_choice).toEqual(expected);
    });

    it('sends parallelToolCalls false without a tool choice as auto without parallel calls', async () => {
      await adapter.chat(target(), chat({ tools: [WEATHER], parallelToolCalls: false }));

      expect(server().requests[0].body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    });

    it('sends earlier tool calls as tool_use blocks and their results, merged into one user turn, with the ids kept', async () => {
      await adapter.chat(target(), chat({ messages: [...history, { role: 'user', content: 'Which is warmer?' }], tools: [WEATHER] }));

      expect(server().requests[0].body.messages).toEqual([
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking both.' },
            { type: 'tool_use', id: 'toolu_paris', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_rome', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_paris', content: 'Sunny, 21C' },
            { type: 'tool_result', tool_use_id: 'toolu_rome', content: 'Rainy, 14C' },
            { type: 'text', text: 'Which is warmer?' },
          ],
        },
      ]);
    });

    it('answers a conversation that ends in tool results: the fake echoes them', async () => {
      const result = await adapter.chat(target(), chat({ messages: history, tools: [WEATHER] }));

      expect(result.content).toBe('Echo: Sunny, 21CRainy, 14C');
    });

    it('sends a tool call without text or arguments as a lone tool_use block with an empty input', async () => {
      const messages: ChatMessage[] = [
        { role: 'user', content: 'What time is it?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_now', name: 'now', arguments: '' }] },
        { role: 'tool', toolCallId: 'toolu_now', content: '12:00' },
      ];

      await adapter.chat(target(), chat({ messages }));

      expect(server().requests[0].body.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_now', name: 'now', input: {} }] });
    });

    it('refuses, without calling Anthropic, tool call arguments that are not a JSON object and a tool result without its call id', async () => {
      const badArguments: ChatMessage[] = [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_1', name: 'now', arguments: '[1,' }] },
      ];
      const noId: ChatMessage[] = [{ role: 'tool', content: 'orphan result' }];

      expect(await caught(adapter.chat(target(), chat({ messages: badArguments })))).toMatchObject({ code: 'bad_request', retryable: false });
      expect(await caught(collect(adapter.streamChat(target(), chat({ messages: noId }))))).toMatchObject({ code: 'bad_request' });
      expect(server().requests).toHaveLength(0);
    });

    it('returns the tool calls the model made, with their ids, and tool_calls as the finish reason', async () => {
      server().behave(MODEL, {
        text: 'Let me check.',
        toolCalls: [
          { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'toolu_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
        ],
      });

      const result = await adapter.chat(target(), chat({ tools: [WEATHER] }));

      expect(result).toMatchObject({
        content: 'Let me check.',
        finishReason: 'tool_calls',
        toolCalls: [
          { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'toolu_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
        ],
      });
    });

    it('streams tool calls as OpenAI-style deltas: id and name first, then the arguments in pieces, and all of them in the done', async () => {
      const calls = [
        { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'toolu_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
      ];
      server().behave(MODEL, { text: 'Checking.', toolCalls: calls });

      const chunks = await collect(adapter.streamChat(target(), chat({ tools: [WEATHER] })));

      expect(deltasOf(chunks)).toEqual(['Checking.']);
      const toolDeltas = chunks.flatMap((chunk) => (chunk.type === 'tool_call_delta' ? [chunk.delta] : []));
      for (const [index, call] of calls.entries()) {
        const [first, ...rest] = toolDeltas.filter((delta) => delta.index === index);
        expect(first).toEqual({ index, id: call.id, name: call.name, arguments: '' });
        expect(rest.length).toBeGreaterThan(1);
        expect(rest.every((delta) => delta.id === undefined && delta.name === undefined)).toBe(true);
        expect(rest.map((delta) => delta.arguments).join('')).toBe(call.arguments);
      }
      expect(chunks.at(-1)).toMatchObject({ type: 'done', result: { content: 'Checking.', toolCalls: calls, finishReason: 'tool_calls' } });
    });

    it('returns no tool calls when the model made none', async () => {
      const whole = await adapter.chat(target(), chat({ tools: [WEATHER] }));
      const streamed = await collect(adapter.streamChat(target(), chat({ tools: [WEATHER] })));

      expect(whole.toolCalls).toEqual([]);
      expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { toolCalls: [] } });
    });
  });

  describe('images and cache breakpoints', () => {
    it('sends image parts as base64 and URL image blocks, in order with the text', async () => {
      const messages: ChatMessage[] = [
        {
          role: 'user',
          content: 'Compare these.',
          parts: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image', url: `data:image/png;base64,${PNG}` },
            { type: 'image', url: 'https://example.com/cat.jpg', detail: 'high' },
          ],
        },
      ];

      await adapter.chat(target(), chat({ messages }));

      expect(server().requests[0].body.messages).toEqual([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ]);
    });

    it('refuses, without calling Anthropic, an image type Anthropic does not take', async () => {
      const messages: ChatMessage[] = [{ role: 'user', content: '', parts: [{ type: 'image', url: 'data:image/svg+xml;base64,PHN2Zy8+' }] }];

      expect(await caught(adapter.chat(target(), chat({ messages })))).toMatchObject({ code: 'bad_request', message: expect.stringContaining('image/svg+xml') });
      expect(server().requests).toHaveLength(0);
    });

    it('passes cache breakpoints on the system prompt, messages, parts and tools as cache_control', async () => {
      const messages: ChatMessage[] = [
        { role: 'system', content: 'Long instructions.', cacheControl: { type: 'ephemeral', ttl: '1h' } },
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'A long document.', cacheControl: { type: 'ephemeral' } },
        { role: 'assistant', content: 'Read it.' },
        { role: 'user', content: 'Part one. Part two.', parts: [{ type: 'text', text: 'Part one.', cacheControl: { type: 'ephemeral' } }, { type: 'text', text: ' Part two.' }] },
      ];

      await adapter.chat(target(), chat({ messages, tools: [{ ...WEATHER, cacheControl: { type: 'ephemeral' } }] }));

      const { body } = server().requests[0];
      expect(body.system).toEqual([
        { type: 'text', text: 'Long instructions.', cache_control: { type: 'ephemeral', ttl: '1h' } },
        { type: 'text', text: 'Be brief.' },
      ]);
      expect(body.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'A long document.', cache_control: { type: 'ephemeral' } }] },
        { role: 'assistant', content: 'Read it.' },
        { role: 'user', content: [{ type: 'text', text: 'Part one.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: ' Part two.' }] },
      ]);
      expect(body.tools[0].cache_control).toEqual({ type: 'ephemeral' });
    });

    it('marks the last block of a message that carries a breakpoint: a tool result, or an assistant turn\'s last tool call', async () => {
      const messages: ChatMessage[] = [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Sure.', toolCalls: [{ id: 'toolu_1', name: 'now', arguments: '{}' }], cacheControl: { type: 'ephemeral' } },
        { role: 'tool', toolCallId: 'toolu_1', content: '12:00', cacheControl: { type: 'ephemeral' } },
      ];

      await adapter.chat(target(), chat({ messages }));

      const [, assistant, results] = server().requests[0].body.messages;
      expect(assistant.content).toEqual([
        { type: 'text', text: 'Sure.' },
        { type: 'tool_use', id: 'toolu_1', name: 'now', input: {}, cache_control: { type: 'ephemeral' } },
      ]);
      expect(results.content).toEqual([{ type: 'tool_result', tool_use_id: 'toolu_1', content: '12:00', cache_control: { type: 'ephemeral' } }]);
    });

    it('counts cache reads and writes into the prompt tokens and reports them apart, streamed or not', async () => {
      server().behave(MODEL, { text: 'one two', usage: { input: 10, output: 2 }, cache: { read: 1000, write: 200 } });

      const whole = await adapter.chat(target(), chat());
      const streamed = await collect(adapter.streamChat(target(), chat()));

      const usage = { promptTokens: 1210, completionTokens: 2, cachedTokens: 1000, cacheWriteTokens: 200 };
      expect(whole.usage).toEqual(usage);
      expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { usage } });
    });

    it('reports cache reads without writes as cachedTokens only', async () => {
      server().behave(MODEL, { text: 'ok', usage: { input: 5, output: 1 }, cache: { read: 50 } });

      const result = await adapter.chat(target(), chat());

      expect(result.usage).toEqual({ promptTokens: 55, completionTokens: 1, cachedTokens: 50 });
    });
  });

  describe('structured output', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };

    it('sends a JSON schema as output_config.format and returns the text as the content, tools left as they are', async () => {
      server().behave(MODEL, { text: '{"answer":"yes"}' });

      const result = await adapter.chat(target(), chat({ responseFormat: { type: 'json_schema', name: 'verdict', schema, strict: true }, tools: [WEATHER] }));

      const { body } = server().requests[0];
      expect(body.output_config).toEqual({ format: { type: 'json_schema', schema } });
      expect(body.tools).toHaveLength(1);
      expect(body).not.toHaveProperty('tool_choice');
      expect(result).toMatchObject({ content: '{"answer":"yes"}', toolCalls: [], finishReason: 'stop' });
    });

    it('sends a schema without strict, which output_config would refuse, as the input schema of the forced json_answer tool', async () => {
      const loose = { type: 'object', properties: { answer: { type: 'string' } } };
      server().behave(MODEL, { toolCalls: [{ name: 'json_answer', arguments: '{"answer":"yes"}' }] });

      const result = await adapter.chat(target(), chat({ responseFormat: { type: 'json_schema', name: 'verdict', schema: loose } }));

      const { body } = server().requests[0];
      expect(body.tools).toEqual([{ name: 'json_answer', description: expect.any(String), input_schema: loose }]);
      expect(body.tool_choice).toEqual({ type: 'tool', name: 'json_answer' });
      expect(body).not.toHaveProperty('output_config');
      expect(result).toMatchObject({ content: '{"answer":"yes"}', toolCalls: [], finishReason: 'stop' });
    });

    it('asks for any JSON object through a forced json_answer tool, and returns its input as the content', async () => {
      server().behave(MODEL, { toolCalls: [{ name: 'json_answer', arguments: '{"answer":"yes","score":3}' }] });

      const whole = await adapter.chat(target(), chat({ responseFormat: { type: 'json_object' } }));
      const streamed = await collect(adapter.streamChat(target(), chat({ responseFormat: { type: 'json_object' } })));

      const { body } = server().requests[0];
      expect(body.tools).toEqual([{ name: 'json_answer', description: expect.any(String), input_schema: { type: 'object' } }]);
      expect(body.tool_choice).toEqual({ type: 'tool', name: 'json_answer' });
      expect(body).not.toHaveProperty('output_config');
      expect(whole).toMatchObject({ content: '{"answer":"yes","score":3}', toolCalls: [], finishReason: 'stop' });
      expect(streamed.some((chunk) => chunk.type === 'tool_call_delta')).toBe(false);
      expect(deltasOf(streamed).length).toBeGreaterThan(1);
      expect(deltasOf(streamed).join('')).toBe(whole.content);
      expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { content: whole.content, toolCalls: [], finishReason: 'stop' } });
    });

    it('lets the model call the caller\'s tools or answer through json_answer, and surfaces only the former as tool calls', async () => {
      server().behave(MODEL, { toolCalls: [{ id: 'toolu_w', name: 'get_weather', arguments: '{"city":"Oslo"}' }] });

      const result = await adapter.chat(target(), chat({ responseFormat: { type: 'json_object' }, tools: [WEATHER] }));

      const { body } = server().requests[0];
      expect(body.tools.map((tool: { name: string }) => tool.name)).toEqual(['get_weather', 'json_answer']);
      expect(body.tool_choice).toEqual({ type: 'any' });
      expect(result).toMatchObject({ content: '', finishReason: 'tool_calls', toolCalls: [{ id: 'toolu_w', name: 'get_weather', arguments: '{"city":"Oslo"}' }] });
    });

    it('forces json_answer under tool choice none, and adds no json_answer where the caller requires a tool call', async () => {
      await adapter.chat(target(), chat({ responseFormat: { type: 'json_object' }, tools: [WEATHER], toolChoice: 'none' }));
      await adapter.chat(target(), chat({ responseFormat: { type: 'json_object' }, tools: [WEATHER], toolChoice: 'required' }));

      const [none, required] = server().requests.map((request) => request.body);
      expect(none.tool_choice).toEqual({ type: 'tool', name: 'json_answer' });
      expect(required.tools.map((tool: { name: string }) => tool.name)).toEqual(['get_weather']);
      expect(required.tool_choice).toEqual({ type: 'any' });
    });

    it('surfaces a tool of the caller\'s named json_answer as a tool call when no JSON answer was asked for', async () => {
      server().behave(MODEL, { toolCalls: [{ id: 'toolu_j', name: 'json_answer', arguments: '{}' }] });

      const result = await adapter.chat(target(), chat({ tools: [{ name: 'json_answer' }] }));

      expect(result).toMatchObject({ content: '', finishReason: 'tool_calls', toolCalls: [{ id: 'toolu_j', name: 'json_answer', arguments: '{}' }] });
    });
  });
});
