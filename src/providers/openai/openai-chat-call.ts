import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { VERSION } from 'openai/version';
import { headersOf, readText, sendHttp } from '../http/node-http-fetch';
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
  const { url, headers } = endpointOf(client);
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

/** Where and how a client's chats are posted: worked out once per client (clients are cached per endpoint and key). */
const ENDPOINTS = new WeakMap<OpenAI, { url: URL; headers: Record<string, string> }>();

function endpointOf(client: OpenAI): { url: URL; headers: Record<string, string> } {
  let endpoint = ENDPOINTS.get(client);
  if (!endpoint) {
    const base = client.baseURL;
    endpoint = {
      url: new URL(`${base}${base.endsWith('/') ? '' : '/'}chat/completions`),
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${client.apiKey}`, 'user-agent': `OpenAI/JS ${VERSION}` },
    };
    ENDPOINTS.set(client, endpoint);
  }
  return endpoint;
}

function parsedObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
