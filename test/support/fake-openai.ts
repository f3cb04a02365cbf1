import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { flood, Flood } from './flood';

/**
 * A scriptable stand-in for the OpenAI API (and so for any OpenAI-compatible server), speaking
 * the wire protocol closely enough for the official SDK. The vendor-neutral machinery it is built
 * on (`startScriptedServer`, `FakeBehaviour`) is shared with the fake Anthropic server.
 *
 *   const openai = await startFakeOpenAi();
 *   openai.behave('gpt-x', { text: 'Hi there', finishReason: 'length', logprobs: [-0.1, -0.2] });
 *   new OpenAI({ baseURL: openai.url, apiKey: 'sk-test' });   // url ends in /v1
 *   openai.requests[0].body.messages;                          // what the SDK sent
 *   await openai.close();
 */

/** How the fake answers requests for one model. Everything is optional; unset means the default. */
export interface FakeBehaviour {
  /** The reply text; default `Echo: <last message or prompt>`. Streams send one word per chunk. */
  text?: string;
  /** The vendor's own finish/stop reason, sent as is (`length`, `max_tokens`, ...); default a normal stop. */
  finishReason?: string;
  /** Token counts to report; default words in the request and words in the reply. */
  usage?: { input: number; output: number };
  /**
   * OpenAI only. Per-token log-probabilities, one per word of `text`; `false` never returns any.
   * Default: -0.1 per word, returned only when the request asks for log-probabilities.
   */
  logprobs?: number[] | false;
  /** Answer with this HTTP status and a vendor-shaped error body instead. */
  error?: { status: number; message: string; type?: string; code?: string };
  /** Wait this long before answering (headers included). */
  delayMs?: number;
  /** Wait this long before each stream chunk after the first. */
  chunkDelayMs?: number;
  /**
   * Tool calls to answer with, in the vendor's own format (after `text`, if any); the finish
   * reason defaults to the vendor's tool-call reason. `id` defaults to a fake id where the vendor
   * has ids. Streams send each call's arguments in several pieces where the vendor streams them.
   */
  toolCalls?: { id?: string; name: string; arguments: string }[];
  /** OpenAI only, not streamed: the texts of the choices after the first, when the request asks for `n` above 1 (default: `text` again). */
  alternatives?: string[];
  /** Prompt-cache counts to report: tokens read from the cache, and written to it (where the vendor reports writes). */
  cache?: { read: number; write?: number };
  /** Answer with more than any gateway should hold (`flood`), streamed or not as the request asks. */
  flood?: Flood;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, any>;
  /** True once the client went away before the response was complete (e.g. an aborted stream). */
  disconnected: boolean;
}

export interface FakeServer {
  /** The base URL to give the vendor's SDK. */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Sets (replaces) how requests for `model` are answered. */
  behave(model: string, behaviour: FakeBehaviour): void;
  /** Forgets behaviours and recorded requests. */
  reset(): void;
  /** Stops listening and drops open connections, so nothing keeps the process alive. */
  close(): Promise<void>;
}

/** One request being answered; writes stop quietly once the client has gone. */
export class Exchange {
  constructor(
    readonly request: RecordedRequest,
    readonly behaviour: FakeBehaviour,
    /** Every model a behaviour has been scripted for, for model listings. */
    readonly scriptedModels: string[],
    private readonly res: ServerResponse,
  ) {}

  get gone(): boolean {
    return this.request.disconnected;
  }

  /** Resolves after `ms`, or as soon as the client disconnects. */
  pause(ms: number | undefined): Promise<void> {
    if (!ms || this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.res.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.res.once('close', done);
    });
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (this.gone) return;
    this.res.writeHead(status, { 'content-type': 'application/json', ...headers });
    this.res.end(JSON.stringify(body));
  }

  /** Sends server-sent events, pausing `chunkDelayMs` between them; each frame is written as given. */
  async sse(frames: string[], headers: Record<string, string> = {}): Promise<void> {
    if (this.gone) return;
    this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    for (const [index, frame] of frames.entries()) {
      if (index > 0) await this.pause(this.behaviour.chunkDelayMs);
      if (this.gone) return;
      this.res.write(frame);
    }
    this.res.end();
  }
}

export type Route = (exchange: Exchange) => Promise<void> | void;

/**
 * An HTTP server on 127.0.0.1 that records each request, finds the behaviour scripted for the
 * model named in its body and hands both to `route`; scripted errors and delays are applied here.
 */
export async function startScriptedServer(options: {
  urlPath: string;
  route: Route;
  errorBody: (error: NonNullable<FakeBehaviour['error']>) => unknown;
}): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const behaviours = new Map<string, FakeBehaviour>();
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    answer(req, res).catch((error: Error) => {
      // A mistake in a test's script: make it visible to the SDK instead of crashing the test run.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `fake server: ${error.message}`, type: 'fake_server_error' } }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await record(req);
    res.once('close', () => {
      if (!res.writableFinished) request.disconnected = true;
    });
    const model = typeof request.body.model === 'string' ? request.body.model : '';
    const exchange = new Exchange(request, behaviours.get(model) ?? {}, [...behaviours.keys()].sort(), res);
    await exchange.pause(exchange.behaviour.delayMs);
    const { error } = exchange.behaviour;
    if (error) return exchange.json(error.status, options.errorBody(error));
    if (exchange.behaviour.flood) return flood(res, exchange.behaviour.flood, 'sse');
    await options.route(exchange);
  }

  async function record(req: IncomingMessage): Promise<RecordedRequest> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://fake').pathname,
      headers: req.headers,
      body: text ? (JSON.parse(text) as Record<string, any>) : {},
      disconnected: false,
    };
    requests.push(request);
    return request;
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${options.urlPath}`,
    requests,
    behave: (model, behaviour) => {
      behaviours.set(model, behaviour);
    },
    reset: () => {
      behaviours.clear();
      requests.length = 0;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Whitespace-led words: the fake's tokens, so that joining them gives the text back. */
export function words(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export function wordCount(...texts: string[]): number {
  return texts.reduce((count, text) => count + words(text).length, 0);
}

export function echo(text: string): string {
  return `Echo: ${text}`;
}

/** A message's text, whichever form its content takes (string, parts, or null beside tool calls). */
export function contentText(content: string | { type: string; text?: string }[] | null | undefined): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join('\n');
}

/** Splits a tool call's arguments into up to three pieces, as vendors stream them. */
export function argumentPieces(text: string): string[] {
  if (text.length < 3) return [text];
  const third = Math.ceil(text.length / 3);
  return [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)];
}

// ---------------------------------------------------------------------------------------------
// OpenAI

interface ChatBody {
  model: string;
  messages: { role: string; content: string | { type: string; text?: string }[] | null }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  logprobs?: boolean;
  n?: number;
}

interface CompletionBody {
  model: string;
  prompt: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  logprobs?: number | null;
}

interface EmbeddingBody {
  model: string;
  input: string | string[];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
}

const DEFAULT_LOGPROB = -0.1;
const DEFAULT_DIMENSIONS = 8;

const ERROR_TYPES: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory' },
  404: { type: 'invalid_request_error', code: 'model_not_found' },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
};

export function startFakeOpenAi(): Promise<FakeServer> {
  let sequence = 0;
  const nextId = (prefix: string): string => `${prefix}-fake${++sequence}`;

  const route: Route = (exchange) => {
    const { method, path } = exchange.request;
    if (method === 'POST' && path === '/v1/chat/completions') return chatCompletion(exchange, nextId('chatcmpl'));
    if (method === 'POST' && path === '/v1/completions') return completion(exchange, nextId('cmpl'));
    if (method === 'POST' && path === '/v1/embeddings') return embeddings(exchange);
    if (method === 'GET' && path === '/v1/models') return models(exchange);
    exchange.json(404, openAiError({ status: 404, message: `Unknown request URL: ${method} ${path}`, type: 'invalid_request_error' }));
  };
  return startScriptedServer({ urlPath: '/v1', route, errorBody: openAiError });
}

function openAiError(error: NonNullable<FakeBehaviour['error']>): unknown {
  const defaults = ERROR_TYPES[error.status] ?? { type: 'server_error', code: null };
  return { error: { message: error.message, type: error.type ?? defaults.type, param: null, code: error.code ?? defaults.code } };
}

/** The reply for one request: its tokens, their log-probabilities (or null) and the usage. */
interface Reply {
  tokens: string[];
  logprobs: number[] | null;
  finishReason: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details?: { cached_tokens: number } };
  toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
}

function reply(behaviour: FakeBehaviour, input: string[], logprobsRequested: boolean): Reply {
  const toolCalls = (behaviour.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_fake${index + 1}`,
    type: 'function' as const,
    function: { name: call.name, arguments: call.arguments },
  }));
  const tokens = words(behaviour.text ?? (toolCalls.length > 0 ? '' : echo(input[input.length - 1] ?? '')));
  const scripted = behaviour.logprobs;
  if (Array.isArray(scripted) && scripted.length !== tokens.length) {
    throw new Error(`fake OpenAI: ${scripted.length} logprobs scripted for ${tokens.length} tokens`);
  }
  const logprobs = !logprobsRequested || scripted === false ? null : (scripted ?? tokens.map(() => DEFAULT_LOGPROB));
  const promptTokens = behaviour.usage?.input ?? wordCount(...input);
  const completionTokens = behaviour.usage?.output ?? tokens.length;
  return {
    tokens,
    logprobs,
    finishReason: behaviour.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      ...(behaviour.cache && { prompt_tokens_details: { cached_tokens: behaviour.cache.read } }),
    },
    toolCalls,
  };
}

function chatLogprobs(tokens: string[], logprobs: number[] | null): unknown {
  if (!logprobs) return null;
  const content = tokens.map((token, i) => ({ token, logprob: logprobs[i], bytes: [...Buffer.from(token)], top_logprobs: [] }));
  return { content, refusal: null };
}

function completionLogprobs(tokens: string[], logprobs: number[] | null): unknown {
  if (!logprobs) return null;
  let offset = 0;
  const textOffset = tokens.map((token) => (offset += token.length) - token.length);
  const topLogprobs = tokens.map((token, i) => ({ [token]: logprobs[i] }));
  return { tokens, token_logprobs: logprobs, top_logprobs: topLogprobs, text_offset: textOffset };
}

async function chatCompletion(exchange: Exchange, id: string): Promise<void> {
  const body = exchange.request.body as ChatBody;
  const input = body.messages.map((message) => contentText(message.content));
  const answer = reply(exchange.behaviour, input, body.logprobs === true);
  const envelope = { id, created: Math.floor(Date.now() / 1000), model: body.model, system_fingerprint: 'fp_fake' };

  if (!body.stream) {
    const choice = {
      index: 0,
      message: {
        role: 'assistant',
        content: answer.tokens.length > 0 || answer.toolCalls.length === 0 ? answer.tokens.join('') : null,
        refusal: null,
        annotations: [],
        ...(answer.toolCalls.length > 0 && { tool_calls: answer.toolCalls }),
      },
      logprobs: chatLogprobs(answer.tokens, answer.logprobs),
      finish_reason: answer.finishReason,
    };
    const others = Array.from({ length: Math.max(0, (body.n ?? 1) - 1) }, (_, i) => {
      const text = exchange.behaviour.alternatives?.[i] ?? answer.tokens.join('');
      return { index: i + 1, message: { role: 'assistant', content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' };
    });
    return exchange.json(200, { ...envelope, object: 'chat.completion', choices: [choice, ...others], usage: answer.usage, service_tier: 'default' });
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    dataFrame({ ...envelope, object: 'chat.completion.chunk', choices, ...(includeUsage ? { usage: null } : {}), ...extra });
  const tokenChunks = answer.tokens.map((token, i) =>
    chunk([{ index: 0, delta: { content: token }, logprobs: chatLogprobs([token], answer.logprobs && [answer.logprobs[i]]), finish_reason: null }]),
  );
  const toolCallChunks = answer.toolCalls.flatMap((call, index) => [
    chunk([{ index: 0, delta: { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, logprobs: null, finish_reason: null }]),
    ...argumentPieces(call.function.arguments).map((piece) =>
      chunk([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }]),
    ),
  ]);
  await exchange.sse([
    chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]),
    ...tokenChunks,
    ...toolCallChunks,
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: answer.finishReason }]),
    ...(includeUsage ? [chunk([], { usage: answer.usage })] : []),
    'data: [DONE]\n\n',
  ]);
}

async function completion(exchange: Exchange, id: string): Promise<void> {
  const body = exchange.request.body as CompletionBody;
  const answer = reply(exchange.behaviour, [body.prompt], typeof body.logprobs === 'number');
  const envelope = { id, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: body.model, system_fingerprint: 'fp_fake' };

  if (!body.stream) {
    const choice = {
      text: answer.tokens.join(''),
      index: 0,
      logprobs: completionLogprobs(answer.tokens, answer.logprobs),
      finish_reason: answer.finishReason,
    };
    return exchange.json(200, { ...envelope, choices: [choice], usage: answer.usage });
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    dataFrame({ ...envelope, choices, ...(includeUsage ? { usage: null } : {}), ...extra });
  const tokenChunks = answer.tokens.map((token, i) =>
    chunk([{ text: token, index: 0, logprobs: completionLogprobs([token], answer.logprobs && [answer.logprobs[i]]), finish_reason: null }]),
  );
  await exchange.sse([
    ...tokenChunks,
    chunk([{ text: '', index: 0, logprobs: null, finish_reason: answer.finishReason }]),
    ...(includeUsage ? [chunk([], { usage: answer.usage })] : []),
    'data: [DONE]\n\n',
  ]);
}

function embeddings(exchange: Exchange): void {
  const body = exchange.request.body as EmbeddingBody;
  const texts = Array.isArray(body.input) ? body.input : [body.input];
  const dimensions = body.dimensions ?? DEFAULT_DIMENSIONS;
  const data = texts.map((text, index) => {
    const vector = embeddingOf(text, dimensions);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = exchange.behaviour.usage?.input ?? wordCount(...texts);
  exchange.json(200, { object: 'list', data, model: body.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
}

/** A unit vector derived from the text alone, so the same text always embeds the same way. */
export function embeddingOf(text: string, dimensions: number): number[] {
  const raw = Array.from({ length: dimensions }, (_, i) => createHash('sha256').update(`${i}:${text}`).digest().readInt32BE(0) / 2 ** 31);
  const norm = Math.hypot(...raw) || 1;
  return raw.map((value) => value / norm);
}

/** Lists the models that have a scripted behaviour. */
function models(exchange: Exchange): void {
  const data = exchange.scriptedModels.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' }));
  exchange.json(200, { object: 'list', data });
}

function dataFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
