import { ValidationFailed } from '../../common/errors/domain-error';
import { lenientValidation } from '../openai-params';
import { OpenAiChatRequestDto, OpenAiCompletionRequestDto, OpenAiEmbeddingsRequestDto } from './openai-request.dto';

async function validated<T>(metatype: new () => T, body: unknown): Promise<T> {
  return (await lenientValidation.transform(body, { type: 'custom', metatype })) as T;
}

async function invalidFields(metatype: new () => unknown, body: unknown): Promise<string[]> {
  try {
    await validated(metatype, body);
  } catch (error) {
    if (error instanceof ValidationFailed) return Object.keys(error.details.fields as object).sort();
    throw error;
  }
  return [];
}

const chat = (patch: Record<string, unknown> = {}) => ({ model: 'auto', messages: [{ role: 'user', content: 'hi' }], ...patch });

describe('OpenAI request validation', () => {
  it('accepts what LangChain and the SDK send, keeps the sampling fields and drops the ones it does not know', async () => {
    const body = await validated(
      OpenAiChatRequestDto,
      chat({
        top_p: 1,
        frequency_penalty: 0,
        presence_penalty: 0,
        stop: ['\n'],
        seed: 1,
        logit_bias: {},
        parallel_tool_calls: false,
        stream_options: { include_usage: true, include_obfuscation: false },
        messages: [{ role: 'user', content: 'hi', name: 'ann' }],
        temperature: 0.5,
        n: 1,
        logprobs: false,
      }),
    );
    expect({ ...body, messages: body.messages.map((m) => ({ ...m })), stream_options: { ...body.stream_options } }).toEqual({
      model: 'auto',
      messages: [{ role: 'user', content: 'hi', name: 'ann' }],
      stream_options: { include_usage: true },
      temperature: 0.5,
      n: 1,
      logprobs: false,
      top_p: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
      stop: ['\n'],
      seed: 1,
      logit_bias: {},
      parallel_tool_calls: false,
    });
    expect(Object.keys(body)).not.toContain('include_obfuscation');
  });

  it.each([
    ['n above 16', chat({ n: 17 }), ['n']],
    ['a tool without its function', chat({ tools: [{ type: 'function' }] }), ['tools.0.function']],
    ['a tool choice of another shape', chat({ tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'any' }), ['tool_choice']],
    ['a tool message without tool_call_id', chat({ messages: [{ role: 'tool', content: 'x' }] }), ['messages.0.tool_call_id']],
    ['tool calls on a user message', chat({ messages: [{ role: 'user', content: 'x', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }] }), ['messages.0.tool_calls']],
    ['an image in a system message', chat({ messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] }), ['messages.0.content']],
    ['an image URL of another scheme', chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }] }), ['messages.0.content']],
    ['legacy functions', chat({ functions: [{ name: 'f' }] }), ['functions']],
    ['json_schema without its schema', chat({ response_format: { type: 'json_schema' } }), ['response_format.json_schema']],
    ['an unknown response format', chat({ response_format: { type: 'yaml' } }), ['response_format.type']],
    ['log-probabilities', chat({ logprobs: true }), ['logprobs']],
    ['a function message', chat({ messages: [{ role: 'function', content: 'x' }] }), ['messages.0.role']],
    ['an empty user message', chat({ messages: [{ role: 'user', content: null }] }), ['messages.0.content']],
    ['an image part', chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }), ['messages.0.content']],
    ['empty content', chat({ messages: [{ role: 'user', content: '' }] }), ['messages.0.content']],
    ['no messages', chat({ messages: [] }), ['messages']],
    ['a missing model', { messages: [{ role: 'user', content: 'hi' }] }, ['model']],
    ['temperature above 2', chat({ temperature: 3 }), ['temperature']],
    ['top_p above 1', chat({ top_p: 1.5 }), ['top_p']],
    ['more than 4 stop sequences', chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), ['stop']],
    ['an empty stop sequence', chat({ stop: '' }), ['stop']],
    ['a stop sequence of 257 characters', chat({ stop: ['x'.repeat(257)] }), ['stop']],
    ['a negative or fractional seed', chat({ seed: -1 }), ['seed']],
    ['penalties outside -2..2', chat({ presence_penalty: 2.5, frequency_penalty: -3 }), ['frequency_penalty', 'presence_penalty']],
    ['logit_bias with 301 entries', chat({ logit_bias: Object.fromEntries(Array.from({ length: 301 }, (_, i) => [String(i), 1])) }), ['logit_bias']],
    ['logit_bias keyed by words or biased past 100', chat({ logit_bias: { hello: 1, '5': 101 } }), ['logit_bias']],
    ['an unknown reasoning_effort or service_tier', chat({ reasoning_effort: 'max', service_tier: 'cheap' }), ['reasoning_effort', 'service_tier']],
  ])('refuses %s', async (_name, body, fields) => {
    expect(await invalidFields(OpenAiChatRequestDto, body)).toEqual(fields);
  });

  it('accepts text parts as content', async () => {
    const body = await validated(OpenAiChatRequestDto, chat({ messages: [{ role: 'developer', content: [{ type: 'text', text: 'a' }] }] }));
    expect(body.messages[0].content).toEqual([{ type: 'text', text: 'a' }]);
  });

  it('accepts a completion prompt as one string or an array of one, and refuses more or token ids', async () => {
    expect(await invalidFields(OpenAiCompletionRequestDto, { model: 'auto', prompt: ['one'] })).toEqual([]);
    expect(await invalidFields(OpenAiCompletionRequestDto, { model: 'auto', prompt: ['one', 'two'] })).toEqual(['prompt']);
    expect(await invalidFields(OpenAiCompletionRequestDto, { model: 'auto', prompt: [1, 2] })).toEqual(['prompt']);
    expect(await invalidFields(OpenAiCompletionRequestDto, { model: 'auto', prompt: 'x', echo: true, best_of: 2, logprobs: 3 })).toEqual([
      'best_of',
      'echo',
      'logprobs',
    ]);
  });

  it('accepts embeddings input as a string or strings, in float or base64', async () => {
    expect(await invalidFields(OpenAiEmbeddingsRequestDto, { model: 'auto', input: 'a', encoding_format: 'base64', user: 'u' })).toEqual([]);
    expect(await invalidFields(OpenAiEmbeddingsRequestDto, { model: 'auto', input: [], encoding_format: 'int8' })).toEqual([
      'encoding_format',
      'input',
    ]);
  });
});
