import { echo, Exchange, FakeBehaviour, FakeServer, Route, startScriptedServer, wordCount, words } from './fake-openai';

/**
 * A scriptable stand-in for Anthropic's Messages API, close enough to the wire protocol for the
 * official SDK: JSON replies, and server-sent events named like the real ones for streams.
 * Scripted the same way as the fake OpenAI server (`FakeBehaviour`; `logprobs` does not apply).
 *
 *   const anthropic = await startFakeAnthropic();
 *   anthropic.behave('claude-x', { text: 'Hi', finishReason: 'max_tokens' });
 *   new Anthropic({ baseURL: anthropic.url, apiKey: 'sk-ant-test' });   // the SDK adds /v1/...
 */

interface MessagesBody {
  model: string;
  max_tokens?: number;
  system?: string | { type: 'text'; text: string }[];
  messages: { role: string; content: string | { type: string; text?: string }[] }[];
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


function textOf(content: MessagesBody['messages'][number]['content'] | MessagesBody['system']): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((block) => block.text ?? '').join('');
}

async function messages(exchange: Exchange, id: string): Promise<void> {
  const body = exchange.request.body as MessagesBody;
  // The one check of the real API that an adapter can get wrong by leaving a parameter out.
  if (typeof body.max_tokens !== 'number') return exchange.json(400, anthropicError({ status: 400, message: 'max_tokens: Field required' }));

  const behaviour = exchange.behaviour;
  const input = body.messages.map((message) => textOf(message.content));
  const tokens = words(behaviour.text ?? echo(input[input.length - 1] ?? ''));
  const usage = {
    input_tokens: behaviour.usage?.input ?? wordCount(textOf(body.system), ...input),
    output_tokens: behaviour.usage?.output ?? tokens.length,
  };
  const stopReason = behaviour.finishReason ?? 'end_turn';
  const message = { id, type: 'message', role: 'assistant', model: body.model, stop_sequence: null };

  if (!body.stream) {
    const content = [{ type: 'text', text: tokens.join(''), citations: null }];
    return exchange.json(200, { ...message, content, stop_reason: stopReason, usage: fullUsage(usage) }, { 'request-id': 'req_fake' });
  }

  await exchange.sse(
    [
      event('message_start', { message: { ...message, content: [], stop_reason: null, usage: fullUsage({ ...usage, output_tokens: 1 }) } }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '', citations: null } }),
      event('ping', {}),
      ...tokens.map((text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }),
      event('message_stop', {}),
    ],
    { 'request-id': 'req_fake' },
  );
}

function fullUsage(usage: { input_tokens: number; output_tokens: number }): Record<string, unknown> {
  return { ...usage, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, service_tier: 'standard' };
}

function event(name: string, payload: Record<string, unknown>): string {
  return `event: ${name}\ndata: ${JSON.stringify({ type: name, ...payload })}\n\n`;
}
