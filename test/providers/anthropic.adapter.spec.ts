import { freePort, waitUntil } from '../../scripts/lib/processes';
import { AnthropicAdapter } from '../../src/providers/anthropic/anthropic.adapter';
import { ProviderError } from '../../src/providers/provider-error';
import { ChatCall, CompletionCall, GenerationChunk, ProviderTarget } from '../../src/providers/provider.types';
import { startFakeAnthropic } from '../support/fake-anthropic';
import { FakeServer } from '../support/fake-openai';

const API_KEY = 'sk-ant-test-0123456789abcdef';
const MODEL = 'claude-fake';

describe('AnthropicAdapter against a fake Anthropic server', () => {
  let server: FakeServer;
  const adapter = new AnthropicAdapter();

  beforeAll(async () => {
    server = await startFakeAnthropic();
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  function target(overrides: Partial<ProviderTarget> = {}): ProviderTarget {
    return { modelId: 'our-claude', providerModel: MODEL, baseUrl: server.url, apiKey: API_KEY, options: {}, ...overrides };
  }

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

  describe('chat', () => {
    it('returns the content, usage, finish reason and message id, with null confidence', async () => {
      server.behave(MODEL, { text: 'Fine, thanks', usage: { input: 21, output: 3 } });

      const result = await adapter.chat(target(), chat());

      expect(result).toEqual({
        content: 'Fine, thanks',
        finishReason: 'stop',
        usage: { promptTokens: 21, completionTokens: 3 },
        confidence: null,
        modelSpecific: { id: expect.stringMatching(/^msg_/) },
      });
    });

    it('sends the system messages joined as the top-level system parameter, never among the messages', async () => {
      await adapter.chat(target(), chat());

      const [request] = server.requests;
      expect(request.path).toBe('/v1/messages');
      expect(request.body.system).toBe('Be brief.\n\nAnswer in English.');
      expect(request.body.messages).toEqual([
        { role: 'user', content: 'hello there' },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'how are you' },
      ]);
    });

    it('leaves out the system parameter when there is no system message', async () => {
      await adapter.chat(target(), chat({ messages: [{ role: 'user', content: 'hi' }] }));

      expect(server.requests[0].body).not.toHaveProperty('system');
    });

    it('sends the key and the API version headers the SDK uses', async () => {
      await adapter.chat(target(), chat());

      const { headers } = server.requests[0];
      expect(headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(headers['anthropic-version']).toEqual(expect.any(String));
    });

    it('defaults max_tokens to 1024, then to the model option, and lets the call override both', async () => {
      await adapter.chat(target(), chat());
      await adapter.chat(target({ options: { max_tokens: 300 } }), chat());
      await adapter.chat(target({ options: { max_tokens: 300 } }), chat({ maxTokens: 20 }));

      expect(server.requests.map((request) => request.body)).toMatchObject([{ max_tokens: 1024 }, { max_tokens: 300 }, { max_tokens: 20 }]);
    });

    it('answers an unscripted model with a deterministic echo', async () => {
      const result = await adapter.chat(target({ providerModel: 'never-scripted' }), chat());

      expect(result.content).toBe('Echo: how are you');
    });

    it.each([
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop'],
      ['max_tokens', 'length'],
      ['tool_use', 'tool_calls'],
      ['refusal', 'content_filter'],
      ['pause_turn', 'stop'],
    ])('maps stop_reason %s to %s', async (vendorReason, expected) => {
      server.behave(MODEL, { finishReason: vendorReason });

      const result = await adapter.chat(target(), chat());

      expect(result.finishReason).toBe(expected);
    });
  });

  describe('complete', () => {
    it('sends the prompt as a single user message', async () => {
      const result = await adapter.complete(target(), completion());

      expect(server.requests[0].body.messages).toEqual([{ role: 'user', content: 'Once upon a time' }]);
      expect(server.requests[0].body).not.toHaveProperty('system');
      expect(result.content).toBe('Echo: Once upon a time');
    });
  });

  describe('embed', () => {
    it('rejects with bad_request because Anthropic has no embeddings API', async () => {
      const error = await caught(adapter.embed());

      expect(error).toMatchObject({ code: 'bad_request', retryable: false, message: 'Anthropic has no embeddings API' });
    });
  });

  describe('streaming', () => {
    it('yields the text deltas in order, then one done with the full result and usage', async () => {
      server.behave(MODEL, { text: 'one two three', finishReason: 'max_tokens', usage: { input: 9, output: 3 } });

      const chunks = await collect(adapter.streamChat(target(), chat()));

      expect(chunks).toEqual([
        { type: 'delta', content: 'one' },
        { type: 'delta', content: ' two' },
        { type: 'delta', content: ' three' },
        {
          type: 'done',
          result: {
            content: 'one two three',
            finishReason: 'length',
            usage: { promptTokens: 9, completionTokens: 3 },
            confidence: null,
            modelSpecific: { id: expect.stringMatching(/^msg_/) },
          },
        },
      ]);
      expect(server.requests[0].body).toMatchObject({ stream: true, system: 'Be brief.\n\nAnswer in English.' });
    });

    it('streams a completion as a single user message', async () => {
      const chunks = await collect(adapter.streamComplete(target(), completion()));

      expect(server.requests[0].body.messages).toEqual([{ role: 'user', content: 'Once upon a time' }]);
      expect(chunks.at(-1)).toMatchObject({ type: 'done', result: { content: 'Echo: Once upon a time', finishReason: 'stop' } });
    });

    it('stops reading and throws cancelled when the caller aborts after the first delta', async () => {
      server.behave(MODEL, { text: 'one two three four', chunkDelayMs: 100 });
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
      [529, 'server_error', true],
      [400, 'bad_request', false],
    ])('maps a %i to %s (retryable: %s) with the vendor message', async (status, code, retryable) => {
      server.behave(MODEL, { error: { status, message: 'Scripted failure' } });

      const error = await caught(adapter.chat(target(), chat()));

      expect(error).toMatchObject({ code, retryable, status, message: 'Scripted failure' });
    });

    it('maps a 429 on a stream to a retryable rate_limited error', async () => {
      server.behave(MODEL, { error: { status: 429, message: 'Slow down' } });

      const error = await caught(collect(adapter.streamChat(target(), chat())));

      expect(error).toMatchObject({ code: 'rate_limited', retryable: true, status: 429 });
    });

    it('maps a refused connection to a retryable connection_error', async () => {
      const closedPort = await freePort();

      const error = await caught(adapter.chat(target({ baseUrl: `http://127.0.0.1:${closedPort}` }), chat()));

      expect(error).toMatchObject({ code: 'connection_error', retryable: true, status: null });
    });

    it('maps a server slower than timeoutMs to a retryable timeout', async () => {
      server.behave(MODEL, { delayMs: 2_000 });

      const error = await caught(adapter.chat(target(), chat({ timeoutMs: 100 })));

      expect(error).toMatchObject({ code: 'timeout', retryable: true });
    });

    it('never puts the API key in an error message', async () => {
      server.behave(MODEL, { error: { status: 401, message: `invalid x-api-key ${API_KEY}` } });

      const error = await caught(adapter.chat(target(), chat()));

      expect(error.message).not.toContain(API_KEY);
      expect(error.message).toBe('invalid x-api-key [redacted]');
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
