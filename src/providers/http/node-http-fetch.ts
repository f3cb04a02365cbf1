import http from 'node:http';
import https from 'node:https';
import { pipeline, Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { ProviderError, ProviderErrorCode } from '../provider-error';

/**
 * The most a provider's response body may hold. Bodies end up in memory (an answer, a stream's
 * assembled text, a batch of embeddings), so a broken or hostile upstream must not be able to fill
 * the heap; 64 MiB is far above any real answer (256 embeddings of 4,096 dimensions as JSON are
 * about 23 MB).
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/**
 * The largest event of a server-sent event stream. The openai SDK gathers an event (up to its
 * blank line) by copying and rescanning everything gathered so far with each chunk, so an event
 * that never ends costs CPU by the square of its size (64 MiB took over a minute); a provider's
 * events are a few KB.
 */
export const MAX_STREAM_EVENT_BYTES = 1024 * 1024;

/** Kept-alive connections to providers, shared by every SDK client and direct call of the process. */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/**
 * The `fetch` the provider SDKs and the Ollama adapter use: the subset of fetch they need (string
 * body, headers, abort signal; a streamed response body, bounded by MAX_RESPONSE_BYTES and
 * MAX_STREAM_EVENT_BYTES) on `node:http`. Node's built-in fetch (undici) costs
 * about twice the CPU per call, the largest single cost of the gateway's request path once the
 * database work was cut (docs/performance.md). Errors have fetch's shapes: an `AbortError` when
 * the signal fires, a `TypeError('fetch failed')` with the cause when the connection fails, which
 * is what the SDKs turn into their abort and connection errors. Responses are not decompressed:
 * no `accept-encoding` is sent, so providers answer uncompressed.
 */
export async function nodeHttpFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const request: HttpRequest = { method, headers: headerRecord(init.headers), body: bodyOf(init.body), signal: init.signal ?? null };
  return responseOf(method, await sendHttp(new URL(input instanceof Request ? input.url : input), request));
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal: AbortSignal | null;
}

/**
 * Sends a request on the shared kept-alive agents and resolves with the response once its head
 * has arrived, failing the way fetch does (see `nodeHttpFetch`). Its body is the caller's to read.
 */
export function sendHttp(url: URL, { method, headers, body, signal }: HttpRequest): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
  if (client === null) return Promise.reject(new TypeError(`fetch failed: unsupported protocol ${url.protocol}`));
  const agent = AGENTS[url.protocol as keyof typeof AGENTS];

  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const send = (attempt: number) => {
      if (signal?.aborted) return reject(abortError(signal));
      let responded = false;
      const request = client.request(url, { method, headers, agent }, (response) => {
        responded = true;
        resolve(response);
      });
      const onAbort = () => request.destroy(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      request.once('close', () => signal?.removeEventListener('abort', onAbort));
      request.once('error', (error: NodeJS.ErrnoException) => {
        if (isAbort(error)) return reject(error);
        // A kept-alive socket the provider closed while it sat idle fails as soon as it is reused,
        // before the request reached anyone: the request is sent again on another connection.
        if (request.reusedSocket && !responded && STALE_SOCKET.has(error.code ?? '') && attempt < MAX_STALE_RETRIES) return send(attempt + 1);
        reject(new TypeError('fetch failed', { cause: error }));
      });
      request.end(body);
    };
    send(0);
  });
}

/**
 * The whole body of a response, as text (a destroyed request fails the read with its error). A
 * body over MAX_RESPONSE_BYTES fails with a ProviderError, its connection closed.
 */
export async function readText(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of response) {
    received += (chunk as Buffer).length;
    if (received > MAX_RESPONSE_BYTES) {
      response.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The response's body as it arrives, failed with a ProviderError (and its connection closed) once
 * it passes MAX_RESPONSE_BYTES, or, for an event stream, once an event passes MAX_STREAM_EVENT_BYTES.
 * Errors of the response itself (an abort, a reset) pass through unchanged.
 */
function bounded(response: http.IncomingMessage): Readable {
  const events = /^text\/event-stream/i.test(response.headers['content-type'] ?? '');
  let received = 0;
  let inEvent = 0;
  let endedWithNewline = false;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > MAX_RESPONSE_BYTES) return done(tooLarge());
      if (events) {
        inEvent = bytesInEvent(chunk, inEvent, endedWithNewline);
        endedWithNewline = chunk[chunk.length - 1] === NEWLINE;
        if (inEvent > MAX_STREAM_EVENT_BYTES) {
          return done(new ProviderError(ProviderErrorCode.InvalidOutput, `The provider sent a stream event longer than ${MAX_STREAM_EVENT_BYTES} bytes; it was cut off`));
        }
      }
      done(null, chunk);
    },
  });
  return pipeline(response, counter, () => {
    // Failures reach the reader through `counter`; the pipeline closes the connection.
  });
}

const NEWLINE = 0x0a;

/** Bytes of the event under way after `chunk`: those after its last blank line (`\n\n`, `\n\r\n`), or all of them added to the event before. */
function bytesInEvent(chunk: Buffer, before: number, endedWithNewline: boolean): number {
  const end = Math.max(lastEnd(chunk, '\n\n'), lastEnd(chunk, '\n\r\n'));
  if (end !== -1) return chunk.length - end;
  if (endedWithNewline && (chunk[0] === NEWLINE || (chunk[0] === 0x0d && chunk[1] === NEWLINE))) return chunk.length - (chunk[0] === NEWLINE ? 1 : 2);
  return before + chunk.length;
}

function lastEnd(chunk: Buffer, pattern: string): number {
  const at = chunk.lastIndexOf(pattern);
  return at === -1 ? -1 : at + pattern.length;
}

function tooLarge(): ProviderError {
  return new ProviderError(ProviderErrorCode.InvalidOutput, `The provider's response is larger than ${MAX_RESPONSE_BYTES} bytes; it was cut off`);
}

/** Errors of a reused socket that the other side had already closed. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);
/** Each retry uses up one dead pooled socket; more than a few at once means the provider is resetting, not idling. */
const MAX_STALE_RETRIES = 3;

function responseOf(method: string, response: http.IncomingMessage): Response {
  const headers = headersOf(response);
  const status = response.statusCode ?? 502;
  const body = method === 'HEAD' || status === 204 || status === 304 ? null : (Readable.toWeb(bounded(response)) as NodeReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: response.statusMessage, headers });
}

/** A response's headers as fetch's `Headers`, repeated ones kept. */
export function headersOf(response: http.IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  return headers;
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const record: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => (record[name] = value));
  return record;
}

function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('nodeHttpFetch sends string and byte bodies only');
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error && signal.reason.name === 'AbortError' ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
}

function isAbort(error: Error): boolean {
  return error.name === 'AbortError';
}
