import Ajv from 'ajv';
import { join } from 'node:path';
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { LocalAdapter } from '../../src/providers/local/local.adapter';
import { readLocalModelInfo } from '../../src/providers/local/gguf-info';
import { JsonGrammars } from '../../src/providers/local/json-grammars';
import { importNodeLlamaCpp } from '../../src/providers/local/node-llama-cpp';
import { ProviderError } from '../../src/providers/provider-error';
import {
  ChatCall,
  CompletionCall,
  GenerationChunk,
  GenerationResult,
  ProviderTarget,
  ToolCallDelta,
  ToolDefinition,
} from '../../src/providers/provider.types';
import { TINY_MODEL as MODEL_PATH } from '../support/paths';
import { describeAdapterContract, notApplicable } from './adapter-contract';

/** The tiny real model: a 260K-parameter story writer (see models/README.md). */
const PROMPT = 'Once upon a time';

function target(options: Record<string, unknown> = {}): ProviderTarget {
  return {
    modelId: 'local/stories260k',
    providerModel: 'local/stories260k',
    baseUrl: null,
    apiKey: null,
    options: { model_path: MODEL_PATH, context_size: 256, ...options },
  };
}

function completion(overrides: Partial<CompletionCall> = {}): CompletionCall {
  return { signal: new AbortController().signal, timeoutMs: 30_000, prompt: PROMPT, maxTokens: 24, ...overrides };
}

function chatCall(overrides: Partial<ChatCall> = {}): ChatCall {
  return { signal: new AbortController().signal, timeoutMs: 30_000, messages: [{ role: 'user', content: 'Who is Lily?' }], ...overrides };
}

const PERSON = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer' } },
  required: ['name', 'age'],
  additionalProperties: false,
};

const WEATHER: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city now.',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { enum: ['celsius', 'fahrenheit'] } },
    required: ['city', 'unit'],
    additionalProperties: false,
  },
};
const ALARM: ToolDefinition = {
  name: 'set_alarm',
  parameters: { type: 'object', properties: { hour: { type: 'integer' }, repeat: { type: 'boolean' } }, required: ['hour'] },
};

const ajv = new Ajv({ strict: false });

/** Why the value does not match the schema, or null when it does. */
function schemaErrors(schema: object, value: unknown): string | null {
  const validate = ajv.compile(schema);
  return validate(value) ? null : ajv.errorsText(validate.errors);
}

/** The stream's deltas and tool-call deltas, and its result. */
async function collect(stream: AsyncIterable<GenerationChunk>): Promise<{ text: string; toolDeltas: ToolCallDelta[]; result: GenerationResult }> {
  let text = '';
  const toolDeltas: ToolCallDelta[] = [];
  for await (const chunk of stream) {
    if (chunk.type === 'delta') text += chunk.content;
    else if (chunk.type === 'tool_call_delta') toolDeltas.push(chunk.delta);
    else return { text, toolDeltas, result: chunk.result };
  }
  throw new Error('The stream ended without a result');
}

describe('LocalAdapter with a real GGUF model', () => {
  const adapter = new LocalAdapter();
  // The model's tokenizer, loaded independently of the adapter to check its counts.
  let llama: Llama;
  let tokenizer: LlamaModel;

  beforeAll(async () => {
    const { getLlama, LlamaLogLevel } = await importNodeLlamaCpp();
    llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    tokenizer = await llama.loadModel({ modelPath: MODEL_PATH, vocabOnly: true });
  });

  afterAll(async () => {
    await adapter.onApplicationShutdown();
    await tokenizer.dispose();
    await llama.dispose();
  });

  /** Room for the schemas and tools the prompt describes: this model's tokens are short. */
  const roomy = (): ProviderTarget => target({ context_size: 1024 });

  /** Each text is fed with the beginning-of-sequence token. */
  const fedTokens = (text: string): number => 1 + tokenizer.tokenize(text).length;

  describeAdapterContract({
    adapter,
    target: (overrides = {}) => ({ ...target(), ...overrides }),
    callDefaults: { timeoutMs: 30_000, maxTokens: 24 },
    upstream: {
      noUpstream: 'the model runs in-process: no upstream to script or to fail, no HTTP status, connection or key',
      longGeneration: async () => {
        const longContext = target({ context_size: 1024 });
        // Its context is ready, so that the generation starts at once.
        await adapter.complete(longContext, completion({ maxTokens: 1 }));
        // Without maxTokens the generation fills the 1024-token context: seconds on this model.
        return { target: longContext, call: { maxTokens: undefined } };
      },
    },
    logprobs: notApplicable("the probabilities are the real model's, not scripted; their mean is checked below"),
    embeddings: {
      length: 64,
      promptTokens: (texts) => texts.reduce((sum, text) => sum + fedTokens(text), 0),
      dimensions: notApplicable("llama.cpp returns the model's own embedding size (supportsDimensions is false)"),
    },
  });

  describe('structured output', () => {
    it('answers json_schema with JSON that matches the schema, within the default token limit', async () => {
      const responseFormat = { type: 'json_schema' as const, name: 'person', schema: PERSON, strict: true };

      const result = await adapter.chat(roomy(), chatCall({ responseFormat }));

      expect(result.finishReason).toBe('stop');
      expect(schemaErrors(PERSON, JSON.parse(result.content))).toBeNull();
      expect(result.toolCalls).toEqual([]);
    });

    it('streams the same JSON in deltas, the grammar\'s closing newlines not sent', async () => {
      const call = chatCall({ responseFormat: { type: 'json_schema', name: 'person', schema: PERSON } });

      const whole = await adapter.chat(roomy(), call);
      const streamed = await collect(adapter.streamChat(roomy(), call));

      expect(streamed.text).toBe(whole.content);
      expect(streamed.result.content).toBe(whole.content);
      expect(streamed.text).toMatch(/^\{[^]*\}$/);
      expect(schemaErrors(PERSON, JSON.parse(streamed.text))).toBeNull();
    });

    it.each([
      ['enums, consts, nested arrays and a nullable', {
        type: 'object',
        properties: {
          mood: { type: 'string', enum: ['happy', 'sad'] },
          kind: { const: 'story' },
          tags: { type: 'array', items: { type: 'string', maxLength: 12 }, minItems: 1, maxItems: 3 },
          friend: { anyOf: [{ type: 'string', maxLength: 20 }, { type: 'null' }] },
          score: { type: ['number', 'null'] },
        },
        required: ['mood', 'kind', 'tags', 'friend', 'score'],
        additionalProperties: false,
      }],
      ['definitions used by reference', {
        $defs: { pet: { type: 'object', properties: { name: { type: 'string', maxLength: 16 }, legs: { type: 'integer' } }, required: ['name', 'legs'] } },
        type: 'object',
        properties: { pets: { type: 'array', items: { $ref: '#/$defs/pet' }, maxItems: 2 } },
        required: ['pets'],
      }],
      ['keywords without a type, and a required key not among the properties', {
        properties: { title: { maxLength: 30 }, done: { type: 'boolean' } },
        required: ['title', 'done', 'extra'],
      }],
    ])('matches a schema with %s', async (_, schema) => {
      const result = await adapter.chat(roomy(), chatCall({ responseFormat: { type: 'json_schema', name: 'answer', schema, strict: true } }));

      expect(result.finishReason).toBe('stop');
      expect(schemaErrors(schema, JSON.parse(result.content))).toBeNull();
    });

    it('answers json_object with a JSON object', async () => {
      const result = await adapter.chat(roomy(), chatCall({ responseFormat: { type: 'json_object' } }));

      const value: unknown = JSON.parse(result.content);
      expect(value).toEqual(expect.any(Object));
      expect(Array.isArray(value)).toBe(false);
      expect(result.finishReason).toBe('stop');
    });

    it('tells the model what is expected before the messages', async () => {
      const responseFormat = { type: 'json_schema' as const, name: 'person', schema: PERSON };

      const result = await adapter.chat(roomy(), chatCall({ responseFormat, maxTokens: 1 }));

      const transcript = `System: Answer with JSON matching the schema person: ${JSON.stringify(PERSON)}\nUser: Who is Lily?\nAssistant:`;
      expect(result.usage.promptTokens).toBe(fedTokens(transcript));
    });

    it('finishes with length, the JSON unfinished, when maxTokens cuts it short', async () => {
      const result = await adapter.chat(roomy(), chatCall({ responseFormat: { type: 'json_schema', name: 'person', schema: PERSON }, maxTokens: 4 }));

      expect(result.finishReason).toBe('length');
      expect(result.usage.completionTokens).toBe(4);
      expect(result.content).toMatch(/^\{/);
      expect(() => JSON.parse(result.content)).toThrow();
    });

    it('follows the rest of a schema, strict or not, leaving what a grammar cannot enforce to the gateway\'s check', async () => {
      const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 5 } }, required: ['n'], additionalProperties: false };

      const result = await adapter.chat(roomy(), chatCall({ responseFormat: { type: 'json_schema', name: 'n', schema, strict: true } }));

      expect(Object.keys(JSON.parse(result.content) as object)).toEqual(['n']);
    });

    it('builds a grammar once per schema, and again once more than 32 others were used since', async () => {
      const grammars = new JsonGrammars();
      const build = jest.spyOn(tokenizer.llama, 'createGrammarForJsonSchema');
      try {
        await grammars.constraint(tokenizer, { type: 'object', properties: { a: { type: 'integer' } } });
        await grammars.constraint(tokenizer, { type: 'object', properties: { a: { type: 'integer' } } });
        expect(build).toHaveBeenCalledTimes(1);

        for (let i = 0; i < 32; i++) await grammars.constraint(tokenizer, { const: i });
        await grammars.constraint(tokenizer, { type: 'object', properties: { a: { type: 'integer' } } });
        expect(build).toHaveBeenCalledTimes(34);
      } finally {
        build.mockRestore();
      }
    });
  });

  describe('tools', () => {
    it('calls the named tool with arguments that match its parameters, with a generated id', async () => {
      const result = await adapter.chat(roomy(), chatCall({ tools: [WEATHER, ALARM], toolChoice: { name: 'get_weather' } }));

      expect(result.finishReason).toBe('tool_calls');
      expect(result.content).toBe('');
      expect(result.toolCalls).toEqual([{ id: expect.stringMatching(/^call_[0-9a-f]{24}$/), name: 'get_weather', arguments: expect.any(String) }]);
      expect(schemaErrors(WEATHER.parameters!, JSON.parse(result.toolCalls[0].arguments))).toBeNull();
    });

    it('calls one of the tools when a call is required', async () => {
      const tools = [ALARM, WEATHER];

      const result = await adapter.chat(roomy(), chatCall({ tools, toolChoice: 'required' }));

      expect(result.finishReason).toBe('tool_calls');
      const [call] = result.toolCalls;
      const tool = tools.find((each) => each.name === call.name);
      expect(tool).toBeDefined();
      expect(schemaErrors(tool!.parameters!, JSON.parse(call.arguments))).toBeNull();
    });

    it('streams a forced call as one tool-call delta with its id, name and arguments, and no text', async () => {
      const streamed = await collect(adapter.streamChat(roomy(), chatCall({ tools: [WEATHER], toolChoice: 'required' })));

      const [call] = streamed.result.toolCalls;
      expect(streamed.text).toBe('');
      expect(streamed.toolDeltas).toEqual([{ index: 0, id: call.id, name: 'get_weather', arguments: call.arguments }]);
      expect(streamed.result.finishReason).toBe('tool_calls');
    });

    it('puts the tools before the messages when a call is forced, and leaves them out with auto', async () => {
      const forced = await adapter.chat(roomy(), chatCall({ tools: [WEATHER], toolChoice: 'required', maxTokens: 1 }));
      const auto = await adapter.chat(roomy(), chatCall({ tools: [WEATHER], toolChoice: 'auto', maxTokens: 8 }));

      const described = `Tool get_weather: The weather in a city now. Arguments: ${JSON.stringify(WEATHER.parameters)}`;
      expect(forced.usage.promptTokens).toBe(fedTokens(`System: Answer with a call of a tool.\n${described}\nUser: Who is Lily?\nAssistant:`));
      expect(auto.usage.promptTokens).toBe(fedTokens('User: Who is Lily?\nAssistant:'));
      expect(auto.toolCalls).toEqual([]);
      expect(auto.finishReason).toBe('length');
    });

    it('returns what was written as text, finishing with length, when maxTokens cuts a forced call short', async () => {
      const result = await adapter.chat(roomy(), chatCall({ tools: [WEATHER], toolChoice: 'required', maxTokens: 5 }));

      expect(result.finishReason).toBe('length');
      expect(result.toolCalls).toEqual([]);
      expect(result.content).toMatch(/^\{/);
    });

    it("renders earlier calls and their results in the transcript, each result named after its call's tool", async () => {
      const messages: ChatCall['messages'] = [
        { role: 'user', content: 'Weather in Paris and an alarm at 7?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { id: 'call_2', name: 'set_alarm', arguments: '{"hour":7}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_2', content: 'set' },
        { role: 'tool', toolCallId: 'call_1', content: 'Sunny, 18 C' },
        { role: 'assistant', content: 'It is sunny.', toolCalls: [{ id: 'call_3', name: 'get_weather', arguments: '{"city":"Rome"}' }] },
        { role: 'tool', toolCallId: 'unknown', content: 'Rainy' },
      ];

      const result = await adapter.chat(roomy(), chatCall({ messages, maxTokens: 1 }));

      const transcript = [
        'User: Weather in Paris and an alarm at 7?',
        'Tool call (get_weather): {"city":"Paris"}',
        'Tool call (set_alarm): {"hour":7}',
        'Tool result (set_alarm): set',
        'Tool result (get_weather): Sunny, 18 C',
        'Assistant: It is sunny.',
        'Tool call (get_weather): {"city":"Rome"}',
        'Tool result: Rainy',
        'Assistant:',
      ].join('\n');
      expect(result.usage.promptTokens).toBe(fedTokens(transcript));
    });
  });

  describe('images', () => {
    it('refuses a message with an image as a bad request', async () => {
      const messages: ChatCall['messages'] = [
        { role: 'user', content: 'What is this?', parts: [{ type: 'text', text: 'What is this?' }, { type: 'image', url: 'data:image/png;base64,AAAA' }] },
      ];

      await expect(adapter.chat(target(), chatCall({ messages }))).rejects.toMatchObject({ code: 'bad_request', retryable: false });
    });
  });

  describe('local specifics', () => {
    it('continues a prompt greedily at temperature 0, the same way every time', async () => {
      const first = await adapter.complete(target(), completion({ temperature: 0 }));
      const second = await adapter.complete(target(), completion({ temperature: 0 }));

      expect(first.content).toMatch(/^, there was a little girl named Lily/);
      expect(second.content).toBe(first.content);
      expect(first.toolCalls).toEqual([]);
    });

    it('ends before a stop sequence that the greedy continuation contains, streamed or not, none of it sent', async () => {
      const call = completion({ temperature: 0, stop: ['little', 'never'] });
      const result = await adapter.complete(target(), call);
      const deltas: string[] = [];
      for await (const chunk of adapter.streamComplete(target(), call)) if (chunk.type === 'delta') deltas.push(chunk.content);

      expect(result.content).toBe(', there was a ');
      expect(result.finishReason).toBe('stop');
      expect(deltas.join('')).toBe(result.content);
    });

    it('samples reproducibly with a seed at temperature 1, and top_p 0 is greedy', async () => {
      const sampled = (seed: number) => adapter.complete(target(), completion({ temperature: 1, seed, maxTokens: 16 }));
      const greedy = await adapter.complete(target(), completion({ temperature: 0, maxTokens: 16 }));
      const runs = await Promise.all([1, 1, 2, 3, 4].map(sampled));

      expect(runs[1].content).toBe(runs[0].content);
      expect(new Set(runs.map((run) => run.content)).size).toBeGreaterThan(1);
      const nucleus = await adapter.complete(target(), completion({ temperature: 1, topP: 0, seed: 9, maxTokens: 16 }));
      expect(nucleus.content).toBe(greedy.content);
    });

    it("counts the prompt as fed (beginning-of-sequence token included) and every generated token, with the model's tokenizer", async () => {
      const result = await adapter.complete(target(), completion({ maxTokens: 10 }));

      expect(result.usage.promptTokens).toBe(fedTokens(PROMPT));
      expect(result.usage.completionTokens).toBe(10);
      await expect(adapter.countTokens(target(), PROMPT)).resolves.toBe(tokenizer.tokenize(PROMPT).length);
    });

    it("counts a long text a window at a time, within a token per window of the tokenizer's count of the whole", async () => {
      const story = 'Once upon a time, there was a little girl named Lily. She liked to play outside in the sun.\n';
      const text = story.repeat(1000) + 'a'.repeat(30_000); // 122 KB: fifteen or more windows
      const whole = tokenizer.tokenize(text).length;

      const counted = await adapter.countTokens(target(), text);

      expect(counted).toBeGreaterThanOrEqual(whole);
      expect(counted - whole).toBeLessThanOrEqual(Math.ceil(text.length / 4096));
    });

    it('lets other callbacks run while it counts a long text', async () => {
      let ranMeanwhile = false;
      const counting = adapter.countTokens(target(), 'a'.repeat(100_000));
      setImmediate(() => (ranMeanwhile = true));
      await counting;
      expect(ranMeanwhile).toBe(true);
    });

    it('refuses a prompt many times longer than the context as a bad request', async () => {
      const prompt = 'Once upon a time '.repeat(10_000);

      const refused = adapter.complete(target({ context_size: 64 }), completion({ prompt }));

      await expect(refused).rejects.toMatchObject({ code: 'bad_request', retryable: false });
      await expect(refused).rejects.toThrow(/^The input is \d+ tokens; this model's context holds \d+$/);
    });

    it('finishes with length when maxTokens cuts the generation short', async () => {
      const result = await adapter.complete(target(), completion({ maxTokens: 5 }));

      expect(result.finishReason).toBe('length');
      expect(result.usage.completionTokens).toBe(5);
      expect(result.content.length).toBeGreaterThan(0);
    });

    it('reports the mean token probability as confidence', async () => {
      const result = await adapter.complete(target(), completion());

      expect(result.confidence).toBeGreaterThan(0);
      expect(result.confidence).toBeLessThanOrEqual(1);
    });

    it('answers a chat rendered as a plain transcript ending in "Assistant:"', async () => {
      const messages = [
        { role: 'system' as const, content: 'Tell a story.' },
        { role: 'user' as const, content: 'Who is Lily?' },
      ];
      const result = await adapter.chat(target(), { signal: new AbortController().signal, timeoutMs: 30_000, messages, maxTokens: 16 });

      const transcript = 'System: Tell a story.\nUser: Who is Lily?\nAssistant:';
      expect(result.usage.promptTokens).toBe(fedTokens(transcript));
      expect(result.content).toMatch(/^\S/);
      expect(result.usage.completionTokens).toBe(16);
    });

    it('generates nothing more once the caller cancels mid-stream, and frees the sequence for the next request', async () => {
      const oneSequence = target({ parallel: 1 });
      const controller = new AbortController();
      const stream = adapter.streamComplete(oneSequence, completion({ signal: controller.signal, maxTokens: 200 }));
      let deltasBeforeCancel = 0;
      let deltasAfterCancel = 0;

      const consume = async (): Promise<void> => {
        for await (const chunk of stream) {
          if (chunk.type !== 'delta') continue;
          if (controller.signal.aborted) deltasAfterCancel++;
          else if (++deltasBeforeCancel === 3) controller.abort();
        }
      };

      await expect(consume()).rejects.toMatchObject({ code: 'cancelled', retryable: false });
      expect(deltasBeforeCancel).toBe(3);
      expect(deltasAfterCancel).toBe(0);
      // The model's only sequence was given back: the next request is served, from a clean state.
      await expect(adapter.complete(oneSequence, completion())).resolves.toMatchObject({ content: expect.stringMatching(/^, there was/) });
    });

    it('serves concurrent requests, first ones included, more of them than the model has sequences', async () => {
      const expected = await adapter.complete(target({ parallel: 2 }), completion());
      // A fresh adapter, so that the concurrent calls are also the first ones and share the model's loading.
      const fresh = new LocalAdapter();

      try {
        const results = await Promise.all([1, 2, 3].map(() => fresh.complete(target({ parallel: 2 }), completion())));

        expect(results.map((result) => result.content)).toEqual([expected.content, expected.content, expected.content]);
      } finally {
        await fresh.onApplicationShutdown();
      }
    });

    it('times out a request waiting in line for a busy sequence, and keeps the line working', async () => {
      const oneSequence = target({ parallel: 1 });
      const holder = adapter.streamComplete(oneSequence, completion({ maxTokens: 50 }))[Symbol.asyncIterator]();
      await holder.next(); // a paused stream keeps its sequence

      await expect(adapter.complete(oneSequence, completion({ timeoutMs: 50 }))).rejects.toMatchObject({ code: 'timeout' });
      const next = adapter.complete(oneSequence, completion());
      await holder.return?.();

      await expect(next).resolves.toMatchObject({ content: expect.stringMatching(/^, there was/) });
    });

    it('rejects a prompt that does not fit the context as a bad request', async () => {
      const prompt = 'Once upon a time '.repeat(100);

      await expect(adapter.complete(target({ context_size: 64 }), completion({ prompt }))).rejects.toMatchObject({
        code: 'bad_request',
        retryable: false,
      });
    });

    it('reports a missing model file, or none configured, as unavailable (retryable)', async () => {
      const missing = target({ model_path: join(__dirname, 'no-such-model.gguf') });

      await expect(adapter.complete(missing, completion())).rejects.toBeInstanceOf(ProviderError);
      await expect(adapter.complete(missing, completion())).rejects.toMatchObject({ code: 'unavailable', retryable: true });
      await expect(adapter.complete(target({ model_path: undefined }), completion())).rejects.toMatchObject({
        code: 'unavailable',
        retryable: true,
      });
    });
  });
});

describe('readLocalModelInfo', () => {
  it('reads the context length, architecture and size from the GGUF header', async () => {
    await expect(readLocalModelInfo(MODEL_PATH)).resolves.toEqual({
      contextLength: 2048,
      sizeBytes: 1_185_376,
      architecture: 'llama',
      name: 'llama',
    });
  });

  it('throws an Error for a file that is not a GGUF', async () => {
    await expect(readLocalModelInfo(__filename)).rejects.toBeInstanceOf(Error);
  });
});
