import { freePort } from '../../scripts/lib/processes';
import { OllamaAdapter } from '../../src/providers/ollama/ollama.adapter';
import { ChatCall, ChatMessage, CompletionCall, GenerationChunk, ProviderTarget, ToolDefinition } from '../../src/providers/provider.types';
import { FakeOllama } from '../support/fake-ollama';
import { wordCount, words } from '../support/fake-openai';
import { caught, collect, deltasOf, describeAdapterContract, startForSuite } from './adapter-contract';

const MODEL = 'llama3';

describe('OllamaAdapter against a fake Ollama server', () => {
  const ollama = startForSuite(() => FakeOllama.start());
  const adapter = new OllamaAdapter();

  function target(overrides: Partial<ProviderTarget> = {}): ProviderTarget {
    return { modelId: 'ollama/llama3', providerModel: MODEL, baseUrl: ollama().url, apiKey: null, options: {}, ...overrides };
  }

  describeAdapterContract({
    adapter,
    target,
    upstream: {
      script: ({ text, finishReason, usage, logprobs, ...timing }) =>
        ollama().behave(MODEL, {
          reply: text,
          chunks: text === undefined ? undefined : words(text),
          doneReason: finishReason,
          promptEvalCount: usage?.input,
          evalCount: usage?.output,
          logprob: logprobs || undefined,
          ...timing,
        }),
      echo: (text) => `Reply from ${MODEL}: ${text}`,
      requests: () => ollama().requests.map(({ body, headers, clientClosed }) => ({ body: body ?? {}, headers, hungUp: clientClosed })),
      baseUrlAt: (port) => `http://127.0.0.1:${port}`,
      modelSpecific: { total_duration: 1_000_000, load_duration: 100_000, prompt_eval_duration: 200_000, eval_duration: 700_000 },
      finishReasons: [
        ['stop', 'stop'],
        ['length', 'length'],
        ['load', 'stop'],
        ['unload', 'stop'],
      ],
    },
    logprobs: 'returned',
    embeddings: { length: 8, promptTokens: (texts) => wordCount(...texts), dimensions: 'shortened' },
  });

  function chatCall(overrides: Partial<ChatCall> = {}): ChatCall {
    return { signal: new AbortController().signal, timeoutMs: 5_000, messages: [{ role: 'user', content: 'Hi' }], ...overrides };
  }

  function completionCall(overrides: Partial<CompletionCall> = {}): CompletionCall {
    return { signal: new AbortController().signal, timeoutMs: 5_000, prompt: 'Why is the sky blue?', ...overrides };
  }

  describe('Ollama specifics', () => {
    it('sends a chat to /api/chat, unstreamed, with the parameters as model options and logprobs asked for', async () => {
      const messages = [
        { role: 'system' as const, content: 'Be kind.' },
        { role: 'user' as const, content: 'Hi' },
      ];

      await adapter.chat(target(), chatCall({ messages, maxTokens: 50, temperature: 0.2 }));

      expect(ollama().requests).toEqual([
        expect.objectContaining({
          method: 'POST',
          path: '/api/chat',
          body: { model: MODEL, messages, stream: false, options: { num_predict: 50, temperature: 0.2 }, logprobs: true },
        }),
      ]);
    });

    it('sends stop, top_p, seed and the penalties as model options, and nothing for the hints it cannot take', async () => {
      await adapter.complete(target(), completionCall({ maxTokens: 9, temperature: 0.1, stop: ['END', '\n\n'], topP: 0.5, seed: 7, presencePenalty: 0.4, frequencyPenalty: -0.3, logitBias: { '50256': -100 }, user: 'user-9', reasoningEffort: 'low' as const, serviceTier: 'flex' as const, parallelToolCalls: false }));

      const { body } = ollama().requests[0];
      expect(body?.options).toEqual({
        num_predict: 9,
        temperature: 0.1,
        stop: ['END', '\n\n'],
        top_p: 0.5,
        seed: 7,
        presence_penalty: 0.4,
        frequency_penalty: -0.3,
      });
      expect(Object.keys(body ?? {}).sort()).toEqual(['logprobs', 'model', 'options', 'prompt', 'stream']);
    });

    it('sends a prompt to /api/generate and leaves unset parameters to the model', async () => {
      ollama().behave(MODEL, { reply: 'Rayleigh scattering.' });

      const result = await adapter.complete(target(), completionCall());

      expect(result.content).toBe('Rayleigh scattering.');
      expect(ollama().requests[0]).toMatchObject({ path: '/api/generate', body: { prompt: 'Why is the sky blue?', stream: false, options: {} } });
    });

    it('streams a prompt from /api/generate, one delta per NDJSON line', async () => {
      ollama().behave(MODEL, { chunks: ['The ', 'sky ', 'is ', 'blue.'] });

      const chunks = await collect(adapter.streamComplete(target(), completionCall()));

      expect(deltasOf(chunks)).toEqual(['The ', 'sky ', 'is ', 'blue.']);
      expect(ollama().requests[0]).toMatchObject({ path: '/api/generate', body: { stream: true } });
    });

    it('reports the token counts Ollama computes when none are scripted', async () => {
      const result = await adapter.chat(target({ providerModel: 'unknown-model' }), chatCall({ messages: [{ role: 'user', content: 'ping' }] }));

      expect(result.content).toBe('Reply from unknown-model: ping');
      expect(result.usage).toEqual({ promptTokens: 1, completionTokens: 4 });
    });

    it('reassembles NDJSON lines and UTF-8 characters split across network chunks', async () => {
      const chunks = ['Grüße ', 'aus ', 'Zürich ', '✓'];
      ollama().behave(MODEL, { chunks, writeBytes: 5, chunkDelayMs: 1 });

      const streamed = await collect(adapter.streamChat(target(), chatCall()));

      expect(deltasOf(streamed)).toEqual(chunks);
      expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { content: 'Grüße aus Zürich ✓' } });
    });

    it('fails a stream with a retryable server error when Ollama reports an error mid-answer', async () => {
      ollama().behave(MODEL, { chunks: ['Half ', 'an '], streamError: 'model runner has unexpectedly stopped' });
      const deltas: string[] = [];

      const consume = async (): Promise<void> => {
        for await (const chunk of adapter.streamChat(target(), chatCall())) if (chunk.type === 'delta') deltas.push(chunk.content);
      };

      await expect(consume()).rejects.toMatchObject({ code: 'server_error', retryable: true, message: 'model runner has unexpectedly stopped' });
      expect(deltas).toEqual(['Half ', 'an ']);
    });

    it("names the refused connection's cause in the error message", async () => {
      const failure = adapter.chat(target({ baseUrl: `http://127.0.0.1:${await freePort()}` }), chatCall());

      await expect(failure).rejects.toMatchObject({ code: 'connection_error', message: expect.stringContaining('ECONNREFUSED') });
    });

    it('embeds every text in one /api/embed call, passing dimensions along', async () => {
      const call = { signal: new AbortController().signal, timeoutMs: 5_000, texts: ['first text', 'second'], dimensions: 4 };

      await adapter.embed(target({ providerModel: 'nomic' }), call);

      expect(ollama().requests).toEqual([
        expect.objectContaining({ path: '/api/embed', body: { model: 'nomic', input: ['first text', 'second'], dimensions: 4 } }),
      ]);
    });

    it('fails as unavailable when an Ollama too old for dimensions returns full-length vectors', async () => {
      ollama().behave('nomic', { embeddingLength: 16, ignoreDimensions: true });
      const call = { signal: new AbortController().signal, timeoutMs: 5_000, texts: ['text'], dimensions: 4 };

      await expect(adapter.embed(target({ providerModel: 'nomic' }), call)).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    });
  });

  describe('tools, images and structured output', () => {
    const weather: ToolDefinition = {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      strict: true,
      cacheControl: { type: 'ephemeral' },
    };
    const clock: ToolDefinition = { name: 'get_time' };
    const ollamaWeather = {
      type: 'function',
      function: { name: 'get_weather', description: 'Current weather for a city', parameters: weather.parameters },
    };
    const ollamaClock = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } };
    const GENERATED_ID = /^call_[0-9a-f]{24}$/;

    function toolDeltas(chunks: GenerationChunk[]): unknown[] {
      return chunks.flatMap((chunk) => (chunk.type === 'tool_call_delta' ? [chunk.delta] : []));
    }

    function sent(index = 0): Record<string, any> {
      return ollama().requests[index].body ?? {};
    }

    describe('what Ollama is sent', () => {
      it('sends the tools as Ollama function tools, without strict or cache markers, and the sampling parameters as options', async () => {
        await adapter.chat(target(), chatCall({ tools: [weather, clock], toolChoice: 'auto', stop: ['END'], topP: 0.5, seed: 7 }));

        expect(sent()).toEqual({
          model: MODEL,
          messages: [{ role: 'user', content: 'Hi' }],
          tools: [ollamaWeather, ollamaClock],
          stream: false,
          options: { stop: ['END'], top_p: 0.5, seed: 7 },
          logprobs: true,
        });
      });

      it.each([
        ['none', undefined],
        ['required', [ollamaWeather, ollamaClock]],
        [{ name: 'get_time' }, [ollamaClock]],
      ] as const)('approaches tool choice %j, which Ollama lacks, through the tools it sends', async (toolChoice, tools) => {
        await adapter.chat(target(), chatCall({ tools: [weather, clock], toolChoice }));

        expect(sent().tools).toEqual(tools);
      });

      it('refuses a tool choice naming a function that is not among the tools, without calling Ollama', async () => {
        const error = await caught(adapter.chat(target(), chatCall({ tools: [weather], toolChoice: { name: 'get_time' } })));

        expect(error).toMatchObject({ code: 'bad_request', retryable: false, message: expect.stringContaining('get_time') });
        expect(ollama().requests).toEqual([]);
      });

      it('sends the tool history: calls with their arguments as objects, results naming their tool', async () => {
        const messages: ChatMessage[] = [
          { role: 'user', content: 'Weather and time in Paris?' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [
              { id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { id: 'call_t', name: 'get_time', arguments: '' },
            ],
          },
          { role: 'tool', content: '14:00', toolCallId: 'call_t' },
          { role: 'tool', content: 'Sunny', toolCallId: 'call_w' },
        ];

        await adapter.chat(target(), chatCall({ messages, tools: [weather, clock] }));

        expect(sent().messages).toEqual([
          { role: 'user', content: 'Weather and time in Paris?' },
          {
            role: 'assistant',
            content: '',
            tool_calls: [
              { id: 'call_w', function: { name: 'get_weather', arguments: { city: 'Paris' } } },
              { id: 'call_t', function: { name: 'get_time', arguments: {} } },
            ],
          },
          { role: 'tool', content: '14:00', tool_name: 'get_time', tool_call_id: 'call_t' },
          { role: 'tool', content: 'Sunny', tool_name: 'get_weather', tool_call_id: 'call_w' },
        ]);
      });

      it.each([
        ['arguments that are not JSON', '{"city": Paris}', 'call_1'],
        ['arguments that are not a JSON object', '["Paris"]', 'call_1'],
        ['a result for a call no assistant message made', '{}', 'call_unknown'],
      ])('refuses a tool history with %s as a bad request, streamed or not, without calling Ollama', async (_case, args, answered) => {
        const messages: ChatMessage[] = [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: args }] },
          { role: 'tool', content: 'Sunny', toolCallId: answered },
        ];

        const whole = await caught(adapter.chat(target(), chatCall({ messages })));
        const streamed = await caught(collect(adapter.streamChat(target(), chatCall({ messages }))));

        expect(whole).toMatchObject({ code: 'bad_request', retryable: false });
        expect(streamed).toMatchObject({ code: 'bad_request', retryable: false });
        expect(whole.message).toContain(answered === 'call_1' ? 'call_1 (get_weather)' : 'call_unknown');
        expect(ollama().requests).toEqual([]);
      });

      it("sends a message's images as bare base64 beside its text", async () => {
        const png = Buffer.from('png bytes').toString('base64');
        const jpeg = Buffer.from('jpeg bytes').toString('base64');
        const messages: ChatMessage[] = [
          {
            role: 'user',
            content: 'Compare these',
            parts: [
              { type: 'text', text: 'Compare these' },
              { type: 'image', url: `data:image/png;base64,${png}`, detail: 'low' },
              { type: 'image', url: `data:image/jpeg;base64,${jpeg}` },
            ],
          },
        ];

        await adapter.chat(target(), chatCall({ messages }));

        expect(sent().messages).toEqual([{ role: 'user', content: 'Compare these', images: [png, jpeg] }]);
      });

      it.each(['https://example.com/cat.png', 'data:image/svg+xml,%3Csvg%3E%3C/svg%3E'])(
        'refuses an image Ollama cannot be sent the bytes of (%s) as a bad request, without calling Ollama',
        async (url) => {
          const messages: ChatMessage[] = [{ role: 'user', content: 'What is this?', parts: [{ type: 'image', url }] }];

          const error = await caught(adapter.chat(target(), chatCall({ messages })));

          expect(error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('Ollama needs image bytes') });
          expect(ollama().requests).toEqual([]);
        },
      );

      it.each([
        [{ type: 'text' as const }, undefined],
        [{ type: 'json_object' as const }, 'json'],
        [
          { type: 'json_schema' as const, name: 'city', strict: true, schema: { type: 'object', properties: { name: { type: 'string' } } } },
          { type: 'object', properties: { name: { type: 'string' } } },
        ],
      ])('asks for response format %j with format %j', async (responseFormat, format) => {
        await adapter.chat(target(), chatCall({ responseFormat }));

        expect(sent().format).toEqual(format);
      });
    });

    describe('what the adapter returns', () => {
      const calls = [
        { name: 'get_weather', arguments: '{"city":"Paris","days":2}' },
        { name: 'get_time', arguments: '{}' },
      ];

      it('returns the tool calls with generated unique ids and the arguments as JSON text, finishing with tool_calls', async () => {
        ollama().behave(MODEL, { toolCalls: calls, promptEvalCount: 20, evalCount: 9 });

        const result = await adapter.chat(target(), chatCall({ tools: [weather, clock] }));

        expect(result).toEqual({
          content: '',
          toolCalls: [
            { id: expect.stringMatching(GENERATED_ID), ...calls[0] },
            { id: expect.stringMatching(GENERATED_ID), ...calls[1] },
          ],
          finishReason: 'tool_calls',
          usage: { promptTokens: 20, completionTokens: 9 },
          confidence: null,
          modelSpecific: expect.any(Object),
        });
        expect(result.toolCalls[0].id).not.toBe(result.toolCalls[1].id);
      });

      it("keeps Ollama's own tool-call ids where it sends them", async () => {
        ollama().behave(MODEL, { toolCalls: [{ id: 'call_ollama_1', ...calls[0] }] });

        const result = await adapter.chat(target(), chatCall({ tools: [weather] }));

        expect(result.toolCalls).toEqual([{ id: 'call_ollama_1', ...calls[0] }]);
      });

      it('streams the text, then each tool call as one delta with all its arguments, under the ids the result has', async () => {
        ollama().behave(MODEL, { reply: 'Let me check.', toolCalls: calls });

        const chunks = await collect(adapter.streamChat(target(), chatCall({ tools: [weather, clock] })));

        const done = chunks.at(-1);
        if (done?.type !== 'done') throw new Error('the stream did not end with done');
        const [first, second] = done.result.toolCalls;
        expect(chunks.slice(0, -1)).toEqual([
          { type: 'delta', content: 'Let ' },
          { type: 'delta', content: 'me ' },
          { type: 'delta', content: 'check.' },
          { type: 'tool_call_delta', delta: { index: 0, ...first } },
          { type: 'tool_call_delta', delta: { index: 1, ...second } },
        ]);
        expect(done.result).toMatchObject({ content: 'Let me check.', finishReason: 'tool_calls', toolCalls: [{ ...calls[0] }, { ...calls[1] }] });
        expect(first.id).toMatch(GENERATED_ID);
        expect(second.id).toMatch(GENERATED_ID);
        expect(first.id).not.toBe(second.id);
      });

      it('generates new ids for every answer', async () => {
        ollama().behave(MODEL, { toolCalls: [calls[0]] });

        const ids = [
          ...(await adapter.chat(target(), chatCall())).toolCalls,
          ...(await adapter.chat(target(), chatCall())).toolCalls,
          ...toolDeltas(await collect(adapter.streamChat(target(), chatCall()))),
        ].map((call) => (call as { id: string }).id);

        expect(new Set(ids).size).toBe(3);
      });

      it("sends the generated ids back in a follow-up, each result under its call's tool name", async () => {
        ollama().behave(MODEL, { toolCalls: calls });
        const chunks = await collect(adapter.streamChat(target(), chatCall({ tools: [weather, clock] })));
        const done = chunks.at(-1);
        if (done?.type !== 'done') throw new Error('the stream did not end with done');
        const [weatherCall, timeCall] = done.result.toolCalls;
        ollama().behave(MODEL, { reply: 'Sunny, and it is 14:00.' });

        const followUp = await adapter.chat(
          target(),
          chatCall({
            tools: [weather, clock],
            messages: [
              { role: 'user', content: 'Hi' },
              { role: 'assistant', content: done.result.content, toolCalls: done.result.toolCalls },
              { role: 'tool', content: '14:00', toolCallId: timeCall.id },
              { role: 'tool', content: 'Sunny', toolCallId: weatherCall.id },
            ],
          }),
        );

        expect(followUp).toMatchObject({ content: 'Sunny, and it is 14:00.', toolCalls: [], finishReason: 'stop' });
        expect(sent(1).messages.slice(1)).toEqual([
          {
            role: 'assistant',
            content: '',
            tool_calls: [
              { id: weatherCall.id, function: { name: 'get_weather', arguments: { city: 'Paris', days: 2 } } },
              { id: timeCall.id, function: { name: 'get_time', arguments: {} } },
            ],
          },
          { role: 'tool', content: '14:00', tool_name: 'get_time', tool_call_id: timeCall.id },
          { role: 'tool', content: 'Sunny', tool_name: 'get_weather', tool_call_id: weatherCall.id },
        ]);
      });

      it('returns the JSON a structured answer is, with no tool calls and no cache counts', async () => {
        ollama().behave(MODEL, { reply: '{"name":"Paris"}', promptEvalCount: 5, evalCount: 4 });

        const result = await adapter.chat(target(), chatCall({ responseFormat: { type: 'json_object' } }));

        expect(result).toMatchObject({ content: '{"name":"Paris"}', toolCalls: [], finishReason: 'stop' });
        expect(result.usage).toEqual({ promptTokens: 5, completionTokens: 4 });
      });

      it('answers a completion from /api/generate with no tool calls, streamed or not', async () => {
        ollama().behave(MODEL, { reply: 'Blue.', toolCalls: calls });

        const whole = await adapter.complete(target(), completionCall());
        const streamed = await collect(adapter.streamComplete(target(), completionCall()));

        expect(whole).toMatchObject({ content: 'Blue.', toolCalls: [], finishReason: 'stop' });
        expect(toolDeltas(streamed)).toEqual([]);
        expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { toolCalls: [] } });
      });
    });
  });
});
