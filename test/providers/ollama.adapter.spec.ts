import { freePort } from '../../scripts/lib/processes';
import { OllamaAdapter } from '../../src/providers/ollama/ollama.adapter';
import { ChatCall, CompletionCall, ProviderTarget } from '../../src/providers/provider.types';
import { FakeOllama } from '../support/fake-ollama';
import { wordCount, words } from '../support/fake-openai';
import { collect, deltasOf, describeAdapterContract, startForSuite } from './adapter-contract';

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
});
