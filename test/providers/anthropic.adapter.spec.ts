import { AnthropicAdapter } from '../../src/providers/anthropic/anthropic.adapter';
import { ChatCall, CompletionCall, ProviderTarget } from '../../src/providers/provider.types';
import { startFakeAnthropic } from '../support/fake-anthropic';
import { collect, describeAdapterContract, notApplicable, scriptedServer, startForSuite } from './adapter-contract';

const API_KEY = 'sk-ant-test-0123456789abcdef';
const MODEL = 'claude-fake';

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
});
