import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/** Kept-alive connections to providers, shared by every SDK client and direct call of the process. */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/**
 * The `fetch` the provider SDKs are given: the subset of fetch they use (string body, headers,
 * abort signal; a streamed response body) on `node:http`. Node's built-in fetch (undici) costs
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

/** The whole body of a response, as text (a destroyed request fails the read with its error). */
export async function readText(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Errors of a reused socket that the other side had already closed. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);
/** Each retry uses up one dead pooled socket; more than a few at once means the provider is resetting, not idling. */
const MAX_STALE_RETRIES = 3;

function responseOf(method: string, response: http.IncomingMessage): Response {
  const headers = headersOf(response);
  const status = response.statusCode ?? 502;
  const body = method === 'HEAD' || status === 204 || status === 304 ? null : (Readable.toWeb(response) as NodeReadableStream<Uint8Array>);
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
