import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * The benchmark's provider: a minimal OpenAI-protocol server on `node:http` (no framework), so the
 * upstream costs as little as possible and what the benchmark measures is the gateway.
 *
 * `POST [/latency/<ms>]/v1/chat/completions` answers after a fixed latency (the path's, else the
 * server's default) with a JSON completion or, for `"stream": true`, Server-Sent Events. Log
 * probabilities are returned when asked for, as OpenAI does. Keep-alive connections are kept open
 * for a minute so the gateway's connection pool never has to reconnect during a run.
 *
 * Run as its own process: `ts-node scripts/bench/fake-upstream.ts [--latency-ms 50] [--port 0]`;
 * it prints `{"url": "http://127.0.0.1:<port>"}` once it listens.
 */

const REPLY_TOKENS = ['Hello', ' from', ' the', ' bench', ' upstream', '.'];
/** The reply's first token, as every gateway's stream carries it (a JSON string): how the bench spots the first token. */
export const FIRST_TOKEN_JSON = JSON.stringify(REPLY_TOKENS[0]);
const REPLY_JSON = JSON.stringify(REPLY_TOKENS.join(''));
const LOGPROB = -0.05;
const CHAT_PATH = /^(?:\/latency\/(\d{1,5}))?\/v1\/chat\/completions$/;

interface ChatBody {
  model?: string;
  stream?: boolean;
  logprobs?: boolean;
  stream_options?: { include_usage?: boolean };
}

export interface FakeUpstream {
  /** Base URL without the `/v1` suffix. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startFakeUpstream(options: { port?: number; latencyMs?: number } = {}): Promise<FakeUpstream> {
  const defaultLatency = options.latencyMs ?? 0;
  let sequence = 0;

  const server = createServer((req, res) => {
    const match = req.method === 'POST' ? CHAT_PATH.exec(req.url ?? '') : null;
    if (!match) {
      drain(req);
      return send(res, 404, JSON.stringify({ error: { message: `Unknown request URL: ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
    }
    const latencyMs = match[1] === undefined ? defaultLatency : Number(match[1]);
    readBody(req, (text) => {
      let body: ChatBody;
      try {
        body = JSON.parse(text) as ChatBody;
      } catch {
        return send(res, 400, JSON.stringify({ error: { message: 'Invalid JSON body', type: 'invalid_request_error' } }));
      }
      const id = `chatcmpl-bench-${++sequence}`;
      const answer = (): void => (body.stream ? stream(res, id, body) : send(res, 200, completion(id, body)));
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;

  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage, done: (text: string) => void): void {
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (text += chunk));
  req.on('end', () => done(text));
}

function drain(req: IncomingMessage): void {
  req.resume();
}

function send(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

const USAGE = `{"prompt_tokens":9,"completion_tokens":${REPLY_TOKENS.length},"total_tokens":${9 + REPLY_TOKENS.length}}`;
const CHAT_LOGPROBS = JSON.stringify({
  content: REPLY_TOKENS.map((token) => ({ token, logprob: LOGPROB, bytes: null, top_logprobs: [] })),
  refusal: null,
});

function head(id: string, body: ChatBody, object: string): string {
  return `{"id":"${id}","object":"${object}","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(body.model ?? 'bench')},"system_fingerprint":"fp_bench"`;
}

function completion(id: string, body: ChatBody): string {
  const logprobs = body.logprobs === true ? CHAT_LOGPROBS : 'null';
  return (
    `${head(id, body, 'chat.completion')},"choices":[{"index":0,"message":{"role":"assistant","content":${REPLY_JSON},"refusal":null},` +
    `"logprobs":${logprobs},"finish_reason":"stop"}],"usage":${USAGE}}`
  );
}

/** One chunk per token, then the finish chunk, the usage chunk when asked for, and `[DONE]`. */
function stream(res: ServerResponse, id: string, body: ChatBody): void {
  const prefix = head(id, body, 'chat.completion.chunk');
  const frames = REPLY_TOKENS.map((token, index) => {
    const delta = index === 0 ? `{"role":"assistant","content":${JSON.stringify(token)}}` : `{"content":${JSON.stringify(token)}}`;
    const logprobs = body.logprobs === true ? `{"content":[{"token":${JSON.stringify(token)},"logprob":${LOGPROB},"bytes":null,"top_logprobs":[]}],"refusal":null}` : 'null';
    return `data: ${prefix},"choices":[{"index":0,"delta":${delta},"logprobs":${logprobs},"finish_reason":null}]}\n\n`;
  });
  frames.push(`data: ${prefix},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}\n\n`);
  if (body.stream_options?.include_usage) frames.push(`data: ${prefix},"choices":[],"usage":${USAGE}}\n\n`);
  frames.push('data: [DONE]\n\n');
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.end(frames.join(''));
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

if (require.main === module) {
  startFakeUpstream({ port: Number(argument('--port') ?? 0), latencyMs: Number(argument('--latency-ms') ?? 0) })
    .then((upstream) => {
      process.stdout.write(`${JSON.stringify({ url: upstream.url })}\n`);
      const stop = (): void => void upstream.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
