import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { flood, Flood } from './flood';

/**
 * A stand-in for an Ollama server on 127.0.0.1 speaking its native wire protocol: `/api/chat` and
 * `/api/generate` (one JSON reply with `stream: false`, else NDJSON lines, as Ollama streams by
 * default), `/api/embed` and `/api/tags`. Scripted per model name with `behave`; every request is
 * recorded.
 *
 *   const ollama = await FakeOllama.start();
 *   ollama.behave('llama3', { reply: 'Hi there', doneReason: 'length' });
 *   ... point the client at ollama.url ...
 *   await ollama.close();
 */

/** How the fake answers for one model. Unset fields take the defaults described. */
export interface OllamaBehaviour {
  /** The reply text. Default: `Reply from <model>: <last message or prompt>`, or none when `toolCalls` are scripted. */
  reply?: string;
  /**
   * Chat only: tool calls to answer with, as `message.tool_calls` with the arguments (JSON text
   * here) parsed to objects, and `id` only where given (as newer Ollama servers send). A stream
   * sends them all on one line after the text, before the final line; `done_reason` stays `stop`.
   */
  toolCalls?: { id?: string; name: string; arguments: string }[];
  /** How a streamed reply is cut into lines. Default: word by word, each word with the space after it. */
  chunks?: string[];
  /** Default `stop`. */
  doneReason?: string;
  /** Default: the words of every message, or of the prompt. */
  promptEvalCount?: number;
  /** Default: the number of chunks. */
  evalCount?: number;
  /**
   * The log-probability of each chunk's token, sent when the request asks for `logprobs`: one number
   * for every chunk, or one per chunk. Default: none are sent.
   */
  logprob?: number | number[];
  /** End a stream with this error line (`{"error": ...}`) instead of the final line, as Ollama does when the model fails mid-answer. */
  streamError?: string;
  /** Answer with this status and Ollama's error body `{"error": message}` instead. */
  error?: { status: number; message?: string };
  /** Wait this long before answering at all. */
  delayMs?: number;
  /** Wait this long between the writes of a stream. */
  chunkDelayMs?: number;
  /** Write a stream's bytes in pieces of this size, so that its lines arrive split across writes. Default: one write per line. */
  writeBytes?: number;
  /** Length of `/api/embed` vectors before any `dimensions`. Default 8. */
  embeddingLength?: number;
  /** Behave like an Ollama from before the `dimensions` field: ignore it. */
  ignoreDimensions?: boolean;
  /** Answer with more than any gateway should hold (`flood`). */
  flood?: Flood;
}

/** A message as `/api/chat` takes it. */
export interface OllamaRequestMessage {
  role: string;
  content: string;
  images?: string[];
  tool_calls?: { id?: string; function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
  tool_call_id?: string;
}

/** A request body as the Ollama API defines it; only what the fake reads, and the tests assert on, is typed. */
export interface OllamaRequestBody {
  model?: string;
  messages?: OllamaRequestMessage[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: Record<string, unknown> } }[];
  format?: string | Record<string, unknown>;
  prompt?: string;
  input?: string | string[];
  stream?: boolean;
  options?: { num_predict?: number; temperature?: number; [option: string]: unknown };
  logprobs?: boolean;
  dimensions?: number;
  [field: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Null for a request without a JSON body. */
  body: OllamaRequestBody | null;
  /** True once the client hung up before the answer was complete. */
  clientClosed: boolean;
}

export class FakeOllama {
  /** Every request, in arrival order; `reset` empties it in place. */
  readonly requests: RecordedRequest[] = [];
  private readonly behaviours = new Map<string, OllamaBehaviour>();
  private readonly lifetime = new AbortController();
  private readonly server: Server = createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => res.destroy(error instanceof Error ? error : undefined));
  });

  private constructor() {}

  static async start(): Promise<FakeOllama> {
    const fake = new FakeOllama();
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    return fake;
  }

  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Scripts the answers for a model (replacing what it had) and lists it in `/api/tags`. */
  behave(model: string, behaviour: OllamaBehaviour): void {
    this.behaviours.set(model, behaviour);
  }

  /** Forgets every behaviour and recorded request. */
  reset(): void {
    this.behaviours.clear();
    this.requests.length = 0;
  }

  /** Stops the server, cutting open connections and pending delays, so that the test process can exit. */
  async close(): Promise<void> {
    this.lifetime.abort();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const record: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body: null, clientClosed: false };
    this.requests.push(record);
    // Aborted by the client hanging up as well as by close(): stops delays and writes alike.
    const answering = new AbortController();
    const onClose = (): void => answering.abort();
    this.lifetime.signal.addEventListener('abort', onClose, { once: true });
    res.on('close', () => {
      this.lifetime.signal.removeEventListener('abort', onClose);
      if (!res.writableFinished) record.clientClosed = true;
      answering.abort();
    });

    const raw = await readBody(req);
    if (req.method === 'GET' && path === '/api/tags') return sendJson(res, 200, this.tags());
    if (req.method !== 'POST' || !['/api/chat', '/api/generate', '/api/embed'].includes(path)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
      return;
    }
    let body: OllamaRequestBody;
    try {
      body = JSON.parse(raw) as OllamaRequestBody;
    } catch {
      return sendJson(res, 400, { error: 'invalid JSON body' });
    }
    record.body = body;
    if (!body.model) return sendJson(res, 400, { error: 'model is required' });

    const behaviour = this.behaviours.get(body.model) ?? {};
    if (!(await pause(behaviour.delayMs, answering.signal))) return;
    const { error } = behaviour;
    if (error) return sendJson(res, error.status, { error: error.message ?? `fake error ${error.status}` });
    if (behaviour.flood) return flood(res, behaviour.flood, 'ndjson');
    if (path === '/api/embed') return sendJson(res, 200, embedReply(body, behaviour));
    await answerGeneration(res, body, behaviour, path === '/api/chat', answering.signal);
  }

  private tags(): unknown {
    const models = [...this.behaviours.keys()].map((name) => ({
      name,
      model: name,
      modified_at: '2025-01-01T00:00:00Z',
      size: 0,
      digest: '',
      details: { format: 'gguf', family: 'fake', parameter_size: '0B', quantization_level: 'F16' },
    }));
    return { models };
  }
}

async function answerGeneration(
  res: ServerResponse,
  body: OllamaRequestBody,
  behaviour: OllamaBehaviour,
  isChat: boolean,
  signal: AbortSignal,
): Promise<void> {
  const messages = body.messages ?? [];
  const input = isChat ? messages.map((message) => message.content).join(' ') : (body.prompt ?? '');
  const lastInput = isChat ? (messages.at(-1)?.content ?? '') : (body.prompt ?? '');
  const toolCalls = isChat && behaviour.toolCalls?.length ? behaviour.toolCalls.map(ollamaToolCall) : undefined;
  const reply = behaviour.reply ?? (toolCalls ? '' : `Reply from ${body.model}: ${lastInput}`);
  const chunks = behaviour.chunks ?? reply.match(/\S+\s*|\s+/g) ?? [];
  const text = (content: string, calls?: object[]): object =>
    isChat ? { message: { role: 'assistant', content, tool_calls: calls } } : { response: content };
  const { logprob } = behaviour;
  const logprobOf = (index: number): number | undefined => (Array.isArray(logprob) ? logprob[index] : logprob);
  /** The log-probabilities of `pieces`, the chunks from index `first` on. */
  const logprobs = (first: number, pieces: string[]): object =>
    body.logprobs && logprob !== undefined ? { logprobs: pieces.map((token, i) => ({ token, logprob: logprobOf(first + i) })) } : {};
  const head = { model: body.model, created_at: new Date().toISOString() };
  const final = {
    ...head,
    done: true,
    done_reason: behaviour.doneReason ?? 'stop',
    total_duration: 1_000_000,
    load_duration: 100_000,
    prompt_eval_count: behaviour.promptEvalCount ?? words(input),
    prompt_eval_duration: 200_000,
    eval_count: behaviour.evalCount ?? chunks.length,
    eval_duration: 700_000,
  };

  // Like Ollama, streams unless told not to.
  if (body.stream === false) return sendJson(res, 200, { ...final, ...text(reply, toolCalls), ...logprobs(0, chunks) });

  const last = behaviour.streamError === undefined ? { ...final, ...text('') } : { error: behaviour.streamError };
  const calls = toolCalls ? [{ ...head, ...text('', toolCalls), done: false }] : [];
  const lines = [...chunks.map((chunk, index) => ({ ...head, ...text(chunk), done: false, ...logprobs(index, [chunk]) })), ...calls, last].map(
    (line) => `${JSON.stringify(line)}\n`,
  );
  const writes = behaviour.writeBytes ? split(Buffer.from(lines.join('')), behaviour.writeBytes) : lines;
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const [index, piece] of writes.entries()) {
    if (index > 0 && !(await pause(behaviour.chunkDelayMs, signal))) return;
    res.write(piece);
  }
  res.end();
}

function ollamaToolCall({ id, name, arguments: args }: { id?: string; name: string; arguments: string }): object {
  return { id, function: { name, arguments: JSON.parse(args) as unknown } };
}

function embedReply(body: OllamaRequestBody, behaviour: OllamaBehaviour): object {
  const texts = typeof body.input === 'string' ? [body.input] : (body.input ?? []);
  const length = behaviour.embeddingLength ?? 8;
  const dimensions = behaviour.ignoreDimensions ? undefined : body.dimensions;
  const embeddings = texts.map((text) => normalize(vectorOf(text, length).slice(0, dimensions)));
  return { model: body.model, embeddings, total_duration: 1_000_000, load_duration: 100_000, prompt_eval_count: words(texts.join(' ')) };
}

/** Deterministic per text, different between texts. */
function vectorOf(text: string, length: number): number[] {
  let seed = 0;
  for (const char of text) seed = (seed * 31 + (char.codePointAt(0) ?? 0)) % 1_000_003;
  return Array.from({ length }, (_, i) => Math.sin(seed + i * 1.7) + 1.1);
}

function normalize(vector: number[]): number[] {
  const norm = Math.hypot(...vector) || 1;
  return vector.map((x) => x / norm);
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function split(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) pieces.push(bytes.subarray(start, start + size));
  return pieces;
}

/** Resolves true after `ms`, or false as soon as the answer is abandoned. */
async function pause(ms: number | undefined, signal: AbortSignal): Promise<boolean> {
  if (!ms) return !signal.aborted;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
