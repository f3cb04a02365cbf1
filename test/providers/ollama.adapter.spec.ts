import { freePort, waitUntil } from '../../scripts/lib/processes';
import { OllamaAdapter } from '../../src/providers/ollama/ollama.adapter';
import { ProviderError } from '../../src/providers/provider-error';
import { ChatCall, CompletionCall, GenerationChunk, ProviderTarget } from '../../src/providers/provider.types';
import { FakeOllama } from '../support/fake-ollama';

describe('OllamaAdapter against a fake Ollama server', () => {
  const adapter = new OllamaAdapter();
  let ollama: FakeOllama;

  beforeAll(async () => {
    ollama = await FakeOllama.start();
  });
  afterEach(() => ollama.reset());
  afterAll(() => ollama.close());

  function target(overrides: Partial<ProviderTarget> = {}): ProviderTarget {
    return { modelId: 'ollama/llama3', providerModel: 'llama3', baseUrl: ollama.url, apiKey: null, options: {}, ...overrides };
  }

  function chatCall(overrides: Partial<ChatCall> = {}): ChatCall {
    return { signal: new AbortController().signal, timeoutMs: 5_000, messages: [{ role: 'user', content: 'Hi' }], ...overrides };
  }

  function completionCall(overrides: Partial<CompletionCall> = {}): CompletionCall {
    return { signal: new AbortController().signal, timeoutMs: 5_000, prompt: 'Why is the sky blue?', ...overrides };
  }

  async function collect(stream: AsyncIterable<GenerationChunk>): Promise<GenerationChunk[]> {
    const chunks: GenerationChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  }

  function deltasOf(chunks: GenerationChunk[]): string[] {
    return chunks.flatMap((chunk) => (chunk.type === 'delta' ? [chunk.content] : []));
  }

  describe('generation', () => {
    it("sends a chat to /api/chat unstreamed and returns the content and Ollama's token counts", async () => {
      ollama.behave('llama3', { reply: 'Hello there, friend.', promptEvalCount: 12, evalCount: 5 });
      const messages = [
        { role: 'system' as const, content: 'Be kind.' },
        { role: 'user' as const, content: 'Hi' },
      ];

      const result = await adapter.chat(target(), chatCall({ messages, maxTokens: 50, temperature: 0.2 }));

      expect(result).toEqual({
        content: 'Hello there, friend.',
        finishReason: 'stop',
        usage: { promptTokens: 12, completionTokens: 5 },
        confidence: null,
        modelSpecific: expect.objectContaining({ total_duration: 1_000_000, eval_duration: 700_000 }),
      });
      expect(ollama.requests).toEqual([
        expect.objectContaining({
          method: 'POST',
          path: '/api/chat',
          body: { model: 'llama3', messages, stream: false, options: { num_predict: 50, temperature: 0.2 }, logprobs: true },
        }),
      ]);
    });

    it('sends a prompt to /api/generate and leaves unset parameters to the model', async () => {
      ollama.behave('llama3', { reply: 'Rayleigh scattering.' });

      const result = await adapter.complete(target(), completionCall());

      expect(result.content).toBe('Rayleigh scattering.');
      expect(ollama.requests[0]).toMatchObject({ path: '/api/generate', body: { prompt: 'Why is the sky blue?', stream: false, options: {} } });
    });

    it('maps done_reason length to finish reason length, and stop to stop', async () => {
      ollama.behave('long', { doneReason: 'length' });
      ollama.behave('short', { doneReason: 'stop' });

      const long = await adapter.complete(target({ providerModel: 'long' }), completionCall({ maxTokens: 3 }));
      const short = await adapter.chat(target({ providerModel: 'short' }), chatCall());
      const longStream = await collect(adapter.streamChat(target({ providerModel: 'long' }), chatCall()));

      expect(long.finishReason).toBe('length');
      expect(short.finishReason).toBe('stop');
      expect(longStream.at(-1)).toMatchObject({ type: 'done', result: { finishReason: 'length' } });
    });

    it('turns the log-probabilities Ollama returns into a confidence, streamed or not', async () => {
      ollama.behave('llama3', { reply: 'one two three', logprob: Math.log(0.5) });

      const whole = await adapter.chat(target(), chatCall());
      const streamed = await collect(adapter.streamChat(target(), chatCall()));

      expect(whole.confidence).toBeCloseTo(0.5, 10);
      expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { confidence: expect.closeTo(0.5, 10) } });
    });

    it('stops asking for log-probabilities when options.logprobs is false', async () => {
      ollama.behave('llama3', { logprob: Math.log(0.5) });

      const result = await adapter.chat(target({ options: { logprobs: false } }), chatCall());

      expect(result.confidence).toBeNull();
      expect(ollama.requests[0].body).not.toHaveProperty('logprobs');
    });

    it('gives a default reply for a model it was not told about', async () => {
      const result = await adapter.chat(target({ providerModel: 'unknown-model' }), chatCall({ messages: [{ role: 'user', content: 'ping' }] }));

      expect(result.content).toBe('Reply from unknown-model: ping');
      expect(result.usage).toEqual({ promptTokens: 1, completionTokens: 4 });
    });
  });

  describe('streaming', () => {
    it('yields the deltas in order, then exactly one done with the totals', async () => {
      ollama.behave('llama3', { chunks: ['The ', 'sky ', 'is ', 'blue.'], promptEvalCount: 7, evalCount: 4 });

      const chunks = await collect(adapter.streamComplete(target(), completionCall()));

      expect(deltasOf(chunks)).toEqual(['The ', 'sky ', 'is ', 'blue.']);
      expect(chunks.filter((chunk) => chunk.type === 'done')).toHaveLength(1);
      expect(chunks.at(-1)).toEqual({
        type: 'done',
        result: expect.objectContaining({ content: 'The sky is blue.', finishReason: 'stop', usage: { promptTokens: 7, completionTokens: 4 } }),
      });
      expect(ollama.requests[0]).toMatchObject({ path: '/api/generate', body: { stream: true } });
    });

    it('reassembles NDJSON lines and UTF-8 characters split across network chunks', async () => {
      const chunks = ['Grüße ', 'aus ', 'Zürich ', '✓'];
      ollama.behave('llama3', { chunks, writeBytes: 5, chunkDelayMs: 1 });

      const streamed = await collect(adapter.streamChat(target(), chatCall()));

      expect(deltasOf(streamed)).toEqual(chunks);
      expect(streamed.at(-1)).toMatchObject({ type: 'done', result: { content: 'Grüße aus Zürich ✓' } });
    });

    it('stops reading and throws cancelled when the caller aborts mid-stream', async () => {
      ollama.behave('llama3', { chunks: Array.from({ length: 50 }, (_, i) => `word${i} `), chunkDelayMs: 20 });
      const controller = new AbortController();
      let deltasBeforeAbort = 0;
      let deltasAfterAbort = 0;

      const consume = async (): Promise<void> => {
        for await (const chunk of adapter.streamChat(target(), chatCall({ signal: controller.signal }))) {
          if (chunk.type !== 'delta') continue;
          if (controller.signal.aborted) deltasAfterAbort++;
          else if (++deltasBeforeAbort === 2) controller.abort();
        }
      };

      await expect(consume()).rejects.toMatchObject({ code: 'cancelled', retryable: false });
      expect(deltasAfterAbort).toBe(0);
      // The connection is dropped: the server does not get to write the rest.
      await waitUntil(() => ollama.requests[0].clientClosed);
    });
  });

  describe('errors', () => {
    it("maps a 404 (model not pulled) to not_found, not retryable, with Ollama's message", async () => {
      ollama.behave('llama3', { error: { status: 404, message: 'model "llama3" not found, try pulling it first' } });

      const error = await adapter.chat(target(), chatCall()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({
        code: 'not_found',
        status: 404,
        retryable: false,
        message: 'model "llama3" not found, try pulling it first',
      });
    });

    it.each([
      [500, 'server_error'],
      [503, 'server_error'],
      [429, 'rate_limited'],
    ])('maps a %i to a retryable %s, streamed or not', async (status, code) => {
      ollama.behave('llama3', { error: { status, message: 'busy' } });

      await expect(adapter.complete(target(), completionCall())).rejects.toMatchObject({ code, status, retryable: true, message: 'busy' });
      await expect(collect(adapter.streamComplete(target(), completionCall()))).rejects.toMatchObject({ code, retryable: true });
    });

    it('maps a 400 to a bad request that is not retried', async () => {
      ollama.behave('llama3', { error: { status: 400, message: 'invalid options' } });

      await expect(adapter.chat(target(), chatCall())).rejects.toMatchObject({ code: 'bad_request', retryable: false });
    });

    it('fails a stream with a retryable server error when Ollama reports an error mid-answer', async () => {
      ollama.behave('llama3', { chunks: ['Half ', 'an '], streamError: 'model runner has unexpectedly stopped' });
      const deltas: string[] = [];

      const consume = async (): Promise<void> => {
        for await (const chunk of adapter.streamChat(target(), chatCall())) if (chunk.type === 'delta') deltas.push(chunk.content);
      };

      await expect(consume()).rejects.toMatchObject({ code: 'server_error', retryable: true, message: 'model runner has unexpectedly stopped' });
      expect(deltas).toEqual(['Half ', 'an ']);
    });

    it('reports a refused connection as a retryable connection error', async () => {
      const closedPort = await freePort();

      const failure = adapter.chat(target({ baseUrl: `http://127.0.0.1:${closedPort}` }), chatCall());

      await expect(failure).rejects.toMatchObject({ code: 'connection_error', retryable: true, message: expect.stringContaining('ECONNREFUSED') });
    });

    it('times out when Ollama does not answer within timeoutMs', async () => {
      ollama.behave('llama3', { delayMs: 10_000 });

      await expect(adapter.chat(target(), chatCall({ timeoutMs: 100 }))).rejects.toMatchObject({ code: 'timeout', retryable: true });
      await expect(collect(adapter.streamChat(target(), chatCall({ timeoutMs: 100 })))).rejects.toMatchObject({ code: 'timeout' });
    });

    it('times out a stream whose chunks stop coming', async () => {
      ollama.behave('llama3', { chunks: ['slow ', 'stream'], chunkDelayMs: 10_000 });

      await expect(collect(adapter.streamChat(target(), chatCall({ timeoutMs: 200 })))).rejects.toMatchObject({ code: 'timeout' });
    });

    it('sends the API key as a bearer token and keeps it out of error messages', async () => {
      const apiKey = 'proxy-secret-value';
      ollama.behave('llama3', { error: { status: 401, message: `rejected key ${apiKey}` } });

      await expect(adapter.chat(target({ apiKey }), chatCall())).rejects.toMatchObject({
        code: 'unauthorized',
        message: 'rejected key [redacted]',
      });
      expect(ollama.requests[0].headers.authorization).toBe(`Bearer ${apiKey}`);
    });
  });

  describe('embeddings', () => {
    it('embeds every text in one /api/embed call, passing dimensions along', async () => {
      ollama.behave('nomic', { embeddingLength: 16 });
      const call = { signal: new AbortController().signal, timeoutMs: 5_000, texts: ['first text', 'second'], dimensions: 4 };

      const result = await adapter.embed(target({ providerModel: 'nomic' }), call);

      expect(adapter.supportsDimensions).toBe(true);
      expect(result.embeddings.map((vector) => vector.length)).toEqual([4, 4]);
      expect(result.usage).toEqual({ promptTokens: 3 });
      expect(ollama.requests[0]).toMatchObject({ path: '/api/embed', body: { model: 'nomic', input: ['first text', 'second'], dimensions: 4 } });
    });

    it('fails as unavailable when an Ollama too old for dimensions returns full-length vectors', async () => {
      ollama.behave('nomic', { embeddingLength: 16, ignoreDimensions: true });
      const call = { signal: new AbortController().signal, timeoutMs: 5_000, texts: ['text'], dimensions: 4 };

      await expect(adapter.embed(target({ providerModel: 'nomic' }), call)).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    });
  });
});
