import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { nodeHttpFetch } from '../../src/providers/http/node-http-fetch';
import { OpenAiAdapter } from '../../src/providers/openai/openai.adapter';
import { callSdk } from '../../src/providers/sdk-errors';
import { ChatCall, CompletionCall, ProviderTarget } from '../../src/providers/provider.types';
import { embeddingOf, startFakeOpenAi, wordCount } from '../support/fake-openai';
import { caught, collect, describeAdapterContract, scriptedServer, startForSuite } from './adapter-contract';

const API_KEY = 'sk-test-openai-0123456789abcdef';
const MODEL = 'gpt-fake';

describe('OpenAiAdapter against a fake OpenAI server', () => {
  const server = startForSuite(startFakeOpenAi);
  const adapter = new OpenAiAdapter();

  function target(overrides: Partial<ProviderTarget> = {}): ProviderTarget {
    return { modelId: 'our-gpt', providerModel: MODEL, baseUrl: server().url, apiKey: API_KEY, options: {}, ...overrides };
  }

  describeAdapterContract({
    adapter,
    target,
    upstream: {
      ...scriptedServer(server, MODEL),
      baseUrlAt: (port) => `http://127.0.0.1:${port}/v1`,
      modelSpecific: { id: expect.stringMatching(/^chatcmpl-/), system_fingerprint: 'fp_fake' },
      finishReasons: [
        ['stop', 'stop'],
        ['length', 'length'],
        ['content_filter', 'content_filter'],
        ['tool_calls', 'tool_calls'],
        ['function_call', 'tool_calls'],
        ['eos', 'stop'],
      ],
    },
    logprobs: 'returned',
    embeddings: { length: 8, promptTokens: (texts) => wordCount(...texts), dimensions: 'shortened' },
  });

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

  describe('OpenAI specifics', () => {
    it('sends the messages, model, limits and key the way the SDK puts them on the wire', async () => {
      await adapter.chat(target(), chat({ maxTokens: 50, temperature: 0.2 }));

      const [request] = server().requests;
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

    // A chat that is not streamed is posted without the SDK's pipeline (openai-chat-call.ts): the SDK itself is the reference.
    describe('a chat posted without the SDK, compared with the SDK', () => {
      const sdk = () => new OpenAI({ baseURL: server().url, apiKey: API_KEY, organization: null, project: null, maxRetries: 0, fetch: nodeHttpFetch });
      const params = { model: MODEL, messages: [{ role: 'user' as const, content: 'hello there' }], max_tokens: 5, logprobs: true };

      it('puts the same path, body, key, content type and user agent on the wire', async () => {
        await sdk().chat.completions.create(params);
        await adapter.chat(target(), chat({ messages: [{ role: 'user', content: 'hello there' }], maxTokens: 5 }));

        const [bySdk, ours] = server().requests;
        expect(ours.path).toBe(bySdk.path);
        expect(ours.body).toEqual(bySdk.body);
        for (const header of ['authorization', 'content-type', 'accept', 'user-agent']) expect([header, ours.headers[header]]).toEqual([header, bySdk.headers[header]]);
      });

      it.each([400, 401, 404, 429, 500, 503])('fails a %i answer as the SDK would, with the vendor\'s message', async (status) => {
        server().behave(MODEL, { error: { status, message: `refused with ${status}`, type: 'server_error' } });
        const errors = { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError };
        const bySdk = await caught(callSdk({ errors, apiKey: API_KEY }, chat(), (options) => sdk().chat.completions.create(params, options)));
        const ours = await caught(adapter.chat(target(), chat()));

        expect(ours).toEqual(bySdk);
        expect(ours).toMatchObject({ message: `refused with ${status}`, retryable: [429, 500, 503].includes(status) });
      });

      it('fails a 200 answer that is not JSON as a provider error naming its content type', async () => {
        const plain = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('not json'));
        await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
        try {
          const error = await caught(adapter.chat(target({ baseUrl: `http://127.0.0.1:${(plain.address() as AddressInfo).port}/v1` }), chat()));
          expect(error).toMatchObject({ code: 'unknown', message: expect.stringContaining('text/plain, not JSON') });
        } finally {
          plain.closeAllConnections();
          await new Promise((resolve) => plain.close(resolve));
        }
      });
    });

    it('sends stop, top_p and every hint chat takes under its OpenAI name, parallel_tool_calls left out', async () => {
      await adapter.chat(target(), chat({ stop: ['END', '\n\n'], topP: 0.5, seed: 7, presencePenalty: 0.4, frequencyPenalty: -0.3, logitBias: { '50256': -100 }, user: 'user-9', reasoningEffort: 'low' as const, serviceTier: 'flex' as const, parallelToolCalls: false }));

      expect(server().requests[0].body).toMatchObject({
        stop: ['END', '\n\n'],
        top_p: 0.5,
        seed: 7,
        presence_penalty: 0.4,
        frequency_penalty: -0.3,
        logit_bias: { '50256': -100 },
        user: 'user-9',
        reasoning_effort: 'low',
        service_tier: 'flex',
      });
      expect(server().requests[0].body).not.toHaveProperty('parallel_tool_calls');
    });

    it('sends stop, top_p and the hints the legacy completions endpoint takes, and no others', async () => {
      await adapter.complete(target({ options: { completions_api: true } }), completion({ maxTokens: 4, stop: ['END', '\n\n'], topP: 0.5, seed: 7, presencePenalty: 0.4, frequencyPenalty: -0.3, logitBias: { '50256': -100 }, user: 'user-9', reasoningEffort: 'low' as const, serviceTier: 'flex' as const, parallelToolCalls: false }));

      expect(server().requests[0].body).toEqual({
        model: MODEL,
        prompt: 'Once upon a time',
        max_tokens: 4,
        logprobs: 1,
        stop: ['END', '\n\n'],
        top_p: 0.5,
        seed: 7,
        presence_penalty: 0.4,
        frequency_penalty: -0.3,
        logit_bias: { '50256': -100 },
        user: 'user-9',
      });
    });

    it('asks for the usage at the end of a stream', async () => {
      await collect(adapter.streamChat(target(), chat()));

      expect(server().requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    });

    it('sends a placeholder key to a compatible server when the model has none', async () => {
      await adapter.chat(target({ apiKey: null }), chat());

      expect(server().requests[0].headers.authorization).toBe('Bearer unused');
    });

    it("refuses to call OpenAI's own endpoint without a key", async () => {
      const error = await caught(adapter.chat(target({ baseUrl: null, apiKey: null }), chat()));

      expect(error).toMatchObject({ code: 'unauthorized', retryable: false });
    });

    it('sends a completion as one user message through chat by default', async () => {
      await adapter.complete(target(), completion());

      expect(server().requests[0].path).toBe('/v1/chat/completions');
      expect(server().requests[0].body.messages).toEqual([{ role: 'user', content: 'Once upon a time' }]);
    });

    it('uses the legacy completions endpoint when the model sets completions_api', async () => {
      server().behave(MODEL, { text: 'there was a fox', logprobs: [-0.2, -0.4, -0.6, -0.8], finishReason: 'length' });

      const result = await adapter.complete(target({ options: { completions_api: true } }), completion({ maxTokens: 4 }));

      expect(server().requests[0].path).toBe('/v1/completions');
      expect(server().requests[0].body).toEqual({ model: MODEL, prompt: 'Once upon a time', max_tokens: 4, logprobs: 1 });
      expect(result).toMatchObject({
        content: 'there was a fox',
        finishReason: 'length',
        usage: { promptTokens: 4, completionTokens: 4 },
        modelSpecific: { id: expect.stringMatching(/^cmpl-/) },
      });
      expect(result.confidence).toBeCloseTo(Math.exp(-0.5), 12);
    });

    it('streams the legacy completions endpoint when the model sets completions_api', async () => {
      server().behave(MODEL, { text: 'a b', finishReason: 'length' });

      const chunks = await collect(adapter.streamComplete(target({ options: { completions_api: true } }), completion()));

      expect(server().requests[0].path).toBe('/v1/completions');
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

    it('passes dimensions to /v1/embeddings and returns the vectors the server computed, in input order', async () => {
      const result = await adapter.embed(target({ providerModel: 'embed-fake' }), {
        texts: ['first text', 'second text here'],
        dimensions: 4,
        signal: new AbortController().signal,
        timeoutMs: 5_000,
      });

      expect(server().requests[0].path).toBe('/v1/embeddings');
      expect(server().requests[0].body).toMatchObject({ model: 'embed-fake', input: ['first text', 'second text here'], dimensions: 4 });
      expect(result.embeddings.map((vector) => vector.length)).toEqual([4, 4]);
      result.embeddings[0].forEach((value, i) => expect(value).toBeCloseTo(embeddingOf('first text', 4)[i], 12));
      result.embeddings[1].forEach((value, i) => expect(value).toBeCloseTo(embeddingOf('second text here', 4)[i], 12));
      expect(result.usage).toEqual({ promptTokens: 5 });
    });
  });
});
