import { echo, Exchange, FakeBehaviour, FakeServer, Route, startScriptedServer, wordCount, words } from './fake-openai';

/**
 * A scriptable stand-in for Anthropic's Messages API, close enough to the wire protocol for the
 * official SDK: JSON replies, and server-sent events named like the real ones for streams.
 * Scripted the same way as the fake OpenAI server (`FakeBehaviour`; `logprobs` does not apply):
 * `toolCalls` are `tool_use` blocks (streamed as `input_json_delta` pieces), `cache` the usage's
 * `cache_read_input_tokens` and `cache_creation_input_tokens`.
 *
 *   const anthropic = await startFakeAnthropic();
 *   anthropic.behave('claude-x', { text: 'Hi', finishReason: 'max_tokens' });
 *   new Anthropic({ baseURL: anthropic.url, apiKey: 'sk-ant-test' });   // the SDK adds /v1/...
 */

/** A content block as requests carry them; a tool result's content is text or more blocks. */
interface RequestBlock {
  type: string;
  text?: string;
  content?: string | RequestBlock[];
}

interface MessagesBody {
  model: string;
  max_tokens?: number;
  system?: string | RequestBlock[];
  messages: { role: string; content: string | RequestBlock[] }[];
  stream?: boolean;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export function startFakeAnthropic(): Promise<FakeServer> {
  let sequence = 0;
  const route: Route = (exchange) => {
    const { method, path } = exchange.request;
    if (method === 'POST' && path === '/v1/messages') return messages(exchange, `msg_fake${++sequence}`);
    exchange.json(404, anthropicError({ status: 404, message: `Not found: ${method} ${path}` }));
  };
  return startScriptedServer({ urlPath: '', route, errorBody: anthropicError });
}

function anthropicError(error: NonNullable<FakeBehaviour['error']>): unknown {
  return { type: 'error', error: { type: error.type ?? ERROR_TYPES[error.status] ?? 'api_error', message: error.message }, request_id: 'req_fake' };
}

/** The text of a message, tool results' included, so that the echo answers a tool result too. */
function textOf(content: string | RequestBlock[] | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((block) => (block.type === 'tool_result' ? textOf(block.content) : (block.text ?? ''))).join('');
}

async function messages(exchange: Exchange, id: string): Promise<void> {
  const body = exchange.request.body as MessagesBody;
  // The one check of the real API that an adapter can get wrong by leaving a parameter out.
  if (typeof body.max_tokens !== 'number') return exchange.json(400, anthropicError({ status: 400, message: 'max_tokens: Field required' }));

  const behaviour = exchange.behaviour;
  const input = body.messages.map((message) => textOf(message.content));
  const calls = (behaviour.toolCalls ?? []).map((call, index) => ({ ...call, id: call.id ?? `toolu_fake${index + 1}` }));
  // With tool calls, text only where scripted; otherwise the echo of the last message.
  const text = behaviour.text ?? (calls.length > 0 ? '' : echo(input[input.length - 1] ?? ''));
  const tokens = words(text);
  const cache = { cache_read_input_tokens: behaviour.cache?.read ?? 0, cache_creation_input_tokens: behaviour.cache?.write ?? 0 };
  const usage = {
    input_tokens: behaviour.usage?.input ?? wordCount(textOf(body.system), ...input),
    output_tokens: behaviour.usage?.output ?? tokens.length + wordCount(...calls.map((call) => call.arguments)),
    ...cache,
  };
  const stopReason = behaviour.finishReason ?? (calls.length > 0 ? 'tool_use' : 'end_turn');
  const message = { id, type: 'message', role: 'assistant', model: body.model, stop_sequence: null };

  if (!body.stream) {
    const content = [
      ...(tokens.length > 0 ? [{ type: 'text', text: tokens.join(''), citations: null }] : []),
      ...calls.map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: JSON.parse(call.arguments || '{}'), caller: { type: 'direct' } })),
    ];
    return exchange.json(200, { ...message, content, stop_reason: stopReason, usage: fullUsage(usage) }, { 'request-id': 'req_fake' });
  }

  const textBlocks = tokens.length > 0 ? [textBlockEvents(0, tokens)] : [];
  await exchange.sse(
    [
      event('message_start', { message: { ...message, content: [], stop_reason: null, usage: fullUsage({ ...usage, output_tokens: 1 }) } }),
      event('ping', {}),
      ...textBlocks.flat(),
      ...calls.flatMap((call, index) => toolUseEvents(textBlocks.length + index, call)),
      // Cumulative counts, the cache's included, as the API sends them.
      event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens, ...cache } }),
      event('message_stop', {}),
    ],
    { 'request-id': 'req_fake' },
  );
}

function textBlockEvents(index: number, tokens: string[]): string[] {
  return [
    event('content_block_start', { index, content_block: { type: 'text', text: '', citations: null } }),
    ...tokens.map((text) => event('content_block_delta', { index, delta: { type: 'text_delta', text } })),
    event('content_block_stop', { index }),
  ];
}

/** A tool call's block: an empty input at its start, then the arguments' JSON in up to three pieces. */
function toolUseEvents(index: number, call: { id: string; name: string; arguments: string }): string[] {
  const third = Math.ceil(call.arguments.length / 3);
  const pieces = [0, 1, 2].map((n) => call.arguments.slice(n * third, (n + 1) * third)).filter((piece) => piece !== '');
  return [
    event('content_block_start', { index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {}, caller: { type: 'direct' } } }),
    ...pieces.map((partial_json) => event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } })),
    event('content_block_stop', { index }),
  ];
}

function fullUsage(usage: Record<string, number>): Record<string, unknown> {
  return { ...usage, service_tier: 'standard' };
}

function event(name: string, payload: Record<string, unknown>): string {
  return `event: ${name}\ndata: ${JSON.stringify({ type: name, ...payload })}\n\n`;
}
