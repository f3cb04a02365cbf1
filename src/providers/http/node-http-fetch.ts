import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/** Kept-alive connections to providers, shared by every SDK client of the process. */
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
export function nodeHttpFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input);
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
  if (client === null) return Promise.reject(new TypeError(`fetch failed: unsupported protocol ${url.protocol}`));
  const method = (init.method ?? 'GET').toUpperCase();
  const signal = init.signal ?? null;

  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const request = client.request(url, { method, headers: headerRecord(init.headers), agent: AGENTS[url.protocol as keyof typeof AGENTS] }, (response) => {
      const headers = new Headers();
      const raw = response.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
      const status = response.statusCode ?? 502;
      const body = method === 'HEAD' || status === 204 || status === 304 ? null : (Readable.toWeb(response) as NodeReadableStream<Uint8Array>);
      resolve(new Response(body, { status, statusText: response.statusMessage, headers }));
    });
    const onAbort = () => request.destroy(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    request.once('close', () => signal?.removeEventListener('abort', onAbort));
    request.once('error', (error) => reject(isAbort(error) ? error : new TypeError('fetch failed', { cause: error })));
    request.end(bodyOf(init.body));
  });
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
