import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { VERSION } from 'openai/version';
import type { IncomingMessage } from 'node:http';
import { readText, sendHttp } from '../http/node-http-fetch';
import { SdkRequestOptions } from '../sdk-errors';

/**
 * A chat completion that is not streamed, posted on `node:http` without the SDK's request
 * pipeline, which costs about 200 us more CPU per call than the call itself (docs/performance.md).
 * What reaches the provider is what the SDK sends: its URL (the client's base URL), bearer key,
 * user agent and JSON body. Failures are the SDK's own error classes, built as the SDK builds
 * them, so `callSdk` maps them to provider errors exactly as it maps the SDK's; the call's signal
 * carries its timeout. Streams, completions and embeddings stay on the SDK.
 */
export async function postChatCompletion(client: OpenAI, params: ChatCompletionCreateParamsNonStreaming, { signal }: SdkRequestOptions): Promise<ChatCompletion> {
  const base = client.baseURL;
  const url = new URL(`${base}${base.endsWith('/') ? '' : '/'}chat/completions`);
  const headers = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${client.apiKey}`, 'user-agent': `OpenAI/JS ${VERSION}` };
  const response = await sendHttp(url, { method: 'POST', headers, body: JSON.stringify(params), signal }).catch((error: unknown) => {
    // A connection that failed; an abort stays itself, for the call's signal to name.
    throw error instanceof TypeError ? new APIConnectionError({ cause: error }) : error;
  });
  const text = await readText(response);
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 299) {
    const body = parsedObject(text);
    throw APIError.generate(status, body, body === undefined ? text : undefined, headersOf(response));
  }
  const mediaType = response.headers['content-type']?.split(';')[0].trim() ?? '';
  if (!mediaType.includes('application/json') && !mediaType.endsWith('+json')) {
    throw new Error(`The provider answered ${mediaType || 'without a content type'}, not JSON`);
  }
  return JSON.parse(text) as ChatCompletion;
}

function parsedObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function headersOf(response: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  return headers;
}
