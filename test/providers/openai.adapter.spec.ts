import { freePort, waitUntil } from '../../scripts/lib/processes';
import { OpenAiAdapter } from '../../src/providers/openai/openai.adapter';
import { ProviderError } from '../../src/providers/provider-error';
import { ChatCall, CompletionCall, GenerationChunk, ProviderTarget } from '../../src/providers/provider.types';
import { embeddingOf, FakeServer, startFakeOpenAi } from '../support/fake-openai';

const API_KEY = 'sk-test-openai-0123456789abcdef';
const MODEL = 'gpt-fake';

describe('OpenAiAdapter against a fake OpenAI server', () => {
  let server: FakeServer;
  const adapter = new OpenAiAdapter();

  beforeAll(async () => {
    server = await startFakeOpenAi();
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  function target(overrides: Partial<ProviderTarget> = {}): ProviderTarget {
    return { modelId: 'our-gpt', providerModel: MODEL, baseUrl: server.url, apiKey: API_KEY, options: {}, ...overrides };
  }

  function chat(overrides: Partial<ChatCall> = {}): ChatCall {
    return {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there' },
      ],
      signal: new AbortController().signal,
      timeoutMs: 5_000,
      ...overrides,
    };
  }

  function completion(overrides: Partial<CompletionCall> = {}): CompletionCall {
    return { prompt: 'Once upon a time', signal: new AbortController().signal, timeoutMs: 5_000, ...overrides };
  }

  describe('chat', () => {
    it('returns the content, usage, finish reason and response id', async () => {
      server.behave(MODEL, { text: 'Hi there', usage: { input: 12, output: 2 } });

      const result = await adapter.chat(target(), chat({ maxTokens: 50, temperature: 0.2 }));

      expect(result).toMatchObject({
        content: 'Hi there',
        finishReason: 'stop',
        usage: { promptTokens: 12, completionTokens: 2 },
        modelSpecific: { id: expect.stringMatching(/^chatcmpl-/), system_fingerprint: 'fp_fake' },
      });
    });

    it('sends the messages, model, limits and key the way the SDK puts them on the wire', async () => {
      await adapter.chat(target(), chat({ maxTokens: 50, temperature: 0.2 }));

      const [request] = server.requests;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/v1/chat/completions');
      expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(request.body).toEqual({
        model: MODEL,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello there' },
        ],
        max_tokens: 50,
        temperature: 0.2,
        logprobs: true,
      });
    });

    it('answers an unscripted model with a deterministic echo', async () => {
      const result = await adapter.chat(target({ providerModel: 'never-scripted' }), chat());

      expect(result.content).toBe('Echo: hello there');
    });

    it('computes confidence as exp of the mean token logprob', async () => {
      const logprobs = [-0.1, -0.5, -1.2];
      server.behave(MODEL, { text: 'one two three', logprobs });

      const result = await adapter.chat(target(), chat());

      expect(result.confidence).toBeCloseTo(Math.exp((-0.1 - 0.5 - 1.2) / 3), 12);
    });

    it('does not ask for logprobs when the model is configured with logprobs: false', async () => {
      const result = await adapter.chat(target({ options: { logprobs: false } }), chat());

      expect(server.requests[0].body).not.toHaveProperty('logprobs');
      expect(result.confidence).toBeNull();
    });

    it('reports null confidence when the server returns no logprobs', async () => {
      server.behave(MODEL, { text: 'plain answer', logprobs: false });

      const result = await adapter.chat(target(), chat());

      expect(result.confidence).toBeNull();
    });

    it.each([
      ['stop', 'stop'],
      ['length', 'length'],
      ['content_filter', 'content_filter'],
      ['tool_calls', 'tool_calls'],
      ['function_call', 'tool_calls'],
      ['eos', 'stop'],
    ])('maps finish_reason %s to %s', async (vendorReason, expected) => {
      server.behave(MODEL, { finishReason: vendorReason });

      const result = await adapter.chat(target(), chat());

      expect(result.finishReason).toBe(expected);
    });

    it('sends a placeholder key to a compatible server when the model has none', async () => {
      await adapter.chat(target({ apiKey: null }), chat());

      expect(server.requests[0].headers.authorization).toBe('Bearer unused');
    });

    it("sends each target's own key through the cached clients", async () => {
      await adapter.chat(target({ apiKey: 'sk-first-key-000000' }), chat());
      await adapter.chat(target({ apiKey: 'sk-second-key-00000' }), chat());
      await adapter.chat(target({ apiKey: 'sk-first-key-000000' }), chat());

      expect(server.requests.map((request) => request.headers.authorization)).toEqual([
        'Bearer sk-first-key-000000',
        'Bearer sk-second-key-00000',
        'Bearer sk-first-key-000000',
      ]);
    });

    it("refuses to call OpenAI's own endpoint without a key", async () => {
      const error = await caught(adapter.chat(target({ baseUrl: null, apiKey: null }), chat()));

      expect(error).toMatchObject({ code: 'unauthorized', retryable: false });
    });
  });

  describe('complete', () => {
    it('sends the prompt as one user message through chat by default', async () => {
      const result = await adapter.complete(target(), completion());

      expect(server.requests[0].path).toBe('/v1/chat/completions');
      expect(server.requests[0].body.messages).toEqual([{ role: 'user', content: 'Once upon a time' }]);
      expect(result.content).toBe('Echo: Once upon a time');
    });

    it('uses the legacy completions endpoint when the model sets completions_api', async () => {
      server.behave(MODEL, { text: 'there was a fox', logprobs: [-0.2, -0.4, -0.6, -0.8], finishReason: 'length' });

      const result = await adapter.complete(target({ options: { completions_api: true } }), completion({ maxTokens: 4 }));

      expect(server.requests[0].path).toBe('/v1/completions');
      expect(server.requests[0].body).toEqual({ model: MODEL, prompt: 'Once upon a time', max_tokens: 4, logprobs: 1 });
      expect(result).toMatchObject({
        content: 'there was a fox',
        finishReason: 'length',
        usage: { promptTokens: 4, completionTokens: 4 },
        modelSpecific: { id: expect.stringMatching(/^cmpl-/) },
      });
      expect(result.confidence).toBeCloseTo(Math.exp(-0.5), 12);
    });
  });

  describe('embed', () => {
    it('passes dimensions and returns the vectors in input order', async () => {
      const result = await adapter.embed(target({ providerModel: 'embed-fake' }), {
        texts: ['first text', 'second text here'],
        dimensions: 4,
        signal: new AbortController().signal,
        timeoutMs: 5_000,
      });

      expect(server.requests[0].path).toBe('/v1/embeddings');
      expect(server.requests[0].body).toMatchObject({ model: 'embed-fake', input: ['first text', 'second text here'], dimensions: 4 });
      expect(result.embeddings).toHaveLength(2);
      expect(result.embeddings[0]).toHaveLength(4);
      result.embeddings[0].forEach((value, i) => expect(value).toBeCloseTo(embeddingOf('first text', 4)[i], 12));
      result.embeddings[1].forEach((value, i) => expect(value).toBeCloseTo(embeddingOf('second text here', 4)[i], 12));
      expect(result.usage).toEqual({ promptTokens: 5 });
    });
  });

  describe('streaming', () => {
    it('yields the deltas in order, then one done with the full result and usage', async () => {
      server.behave(MODEL, { text: 'one two three', logprobs: [-0.3, -0.3, -0.6], usage: { input: 7, output: 3 } });

      const chunks = await collect(adapter.streamChat(target(), chat()));

      expect(chunks).toEqual([
        { type: 'delta', content: 'one' },
        { type: 'delta', content: ' two' },
        { type: 'delta', content: ' three' },
        {
          type: 'done',
          result: {
            content: 'one two three',
            finishReason: 'stop',
            usage: { promptTokens: 7, completionTokens: 3 },
            confidence: expect.closeTo(Math.exp(-0.4), 12),
            modelSpecific: { id: expect.stringMatching(/^chatcmpl-/), system_fingerprint: 'fp_fake' },
          },
        },
      ]);
      expect(server.requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    });

    it('streams the legacy completions endpoint when the model sets completions_api', async () => {
      server.behave(MODEL, { text: 'a b', finishReason: 'length' });

      const chunks = await collect(adapter.streamComplete(target({ options: { completions_api: true } }), completion()));

      expect(server.requests[0].path).toBe('/v1/completions');
      expect(chunks.slice(0, 2)).toEqual([
        { type: 'delta', content: 'a' },
        { type: 'delta', content: ' b' },
      ]);
      expect(chunks[2]).toMatchObject({
        type: 'done',
        result: { content: 'a b', finishReason: 'length', usage: { promptTokens: 4, completionTokens: 2 } },
      });
      expect(chunks).toHaveLength(3);
    });

    it('stops reading and throws cancelled when the caller aborts after the first delta', async () => {
      server.behave(MODEL, { text: 'one two three four', chunkDelayMs: 200 });
      const caller = new AbortController();
      const stream = adapter.streamChat(target(), chat({ signal: caller.signal }))[Symbol.asyncIterator]();

      expect(await stream.next()).toEqual({ done: false, value: { type: 'delta', content: 'one' } });
      caller.abort();

      expect(await caught(stream.next())).toMatchObject({ code: 'cancelled', retryable: false });
      expect(await stream.next()).toEqual({ done: true, value: undefined });
      await waitUntil(() => server.requests[0].disconnected);
    });

    it('throws a retryable timeout when the stream outlasts timeoutMs', async () => {
      server.behave(MODEL, { text: 'slow slow slow', chunkDelayMs: 1_000 });

      const error = await caught(collect(adapter.streamChat(target(), chat({ timeoutMs: 300 }))));

      expect(error).toMatchObject({ code: 'timeout', retryable: true });
    });
  });

  describe('errors', () => {
    it.each([
      [429, 'rate_limited', true],
      [401, 'unauthorized', false],
      [500, 'server_error', true],
      [400, 'bad_request', false],
      [404, 'not_found', false],
    ])('maps a %i to %s (retryable: %s)', async (status, code, retryable) => {
      server.behave(MODEL, { error: { status, message: 'Scripted failure' } });

      const error = await caught(adapter.chat(target(), chat()));

      expect(error).toMatchObject({ code, retryable, status, message: 'Scripted failure' });
    });

    it('maps a 429 before the first chunk of a stream to a retryable rate_limited error', async () => {
      server.behave(MODEL, { error: { status: 429, message: 'Slow down' } });

      const error = await caught(collect(adapter.streamChat(target(), chat())));

      expect(error).toMatchObject({ code: 'rate_limited', retryable: true, status: 429 });
    });

    it('maps a refused connection to a retryable connection_error', async () => {
      const closedPort = await freePort();

      const error = await caught(adapter.chat(target({ baseUrl: `http://127.0.0.1:${closedPort}/v1` }), chat()));

      expect(error).toMatchObject({ code: 'connection_error', retryable: true, status: null });
    });

    it('maps a server slower than timeoutMs to a retryable timeout', async () => {
      server.behave(MODEL, { delayMs: 2_000 });

      const error = await caught(adapter.chat(target(), chat({ timeoutMs: 100 })));

      expect(error).toMatchObject({ code: 'timeout', retryable: true });
    });

    it('maps a call cancelled before it starts to a non-retryable cancelled error', async () => {
      const caller = new AbortController();
      caller.abort();

      const error = await caught(adapter.chat(target(), chat({ signal: caller.signal })));

      expect(error).toMatchObject({ code: 'cancelled', retryable: false });
    });

    it('never puts the API key in an error message', async () => {
      server.behave(MODEL, { error: { status: 401, message: `Incorrect API key provided: ${API_KEY}.` } });

      const error = await caught(adapter.chat(target(), chat()));

      expect(error.message).not.toContain(API_KEY);
      expect(error.message).toBe('Incorrect API key provided: [redacted].');
    });
  });
});

async function collect(stream: AsyncIterable<GenerationChunk>): Promise<GenerationChunk[]> {
  const chunks: GenerationChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function caught(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError, but the call succeeded');
}
