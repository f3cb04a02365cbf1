import { Injectable } from '@nestjs/common';
import { redactSecrets } from '../../common/secrets/redact-secrets';
import { CallSignal } from '../call-signal';
import { nodeHttpFetch } from '../http/node-http-fetch';
import { ProviderError, ProviderErrorCode } from '../provider-error';
import {
  ChatCall,
  CompletionCall,
  EmbeddingCall,
  EmbeddingResult,
  GenerationChunk,
  GenerationParams,
  GenerationResult,
  ProviderAdapter,
  ProviderTarget,
} from '../provider.types';
import { chatFields } from './ollama-messages';
import { GenerationReply, ResultBuilder } from './ollama-reply';

/**
 * Ollama's native REST API over `nodeHttpFetch` (kept-alive sockets, bounded bodies): `/api/chat`
 * for chat, `/api/generate` for a prompt (Ollama applies the model's template to it), `/api/embed`
 * for embeddings. Streams are NDJSON.
 *
 * Confidence: every generation asks for `logprobs: true`. Ollama 0.12.11 and later return each
 * token's log-probability; older servers ignore the field and confidence is null. `target.options`
 * `logprobs: false` stops asking.
 *
 * Tools, images and structured output: see `chatFields`. Tool calls come back whole (a stream line
 * carries complete calls), so each streamed call is one `tool_call_delta` with all its arguments.
 * Ollama reports no prompt caching: `cachedTokens` stays unset.
 *
 * Dimensions: sent as `dimensions`, which Ollama truncates and re-normalizes embeddings to
 * (ollama/ollama#12242, September 2025). Older servers ignore it; embed() notices the full-length
 * vectors and fails as unavailable, so the caller can try another model.
 */
@Injectable()
export class OllamaAdapter implements ProviderAdapter {
  readonly kind = 'ollama';
  readonly supportsDimensions = true;

  // Async, like streamChat, so that a chat Ollama cannot take (chatBody throws) fails the returned promise or stream.
  async chat(target: ProviderTarget, call: ChatCall): Promise<GenerationResult> {
    return generateOnce(target, 'api/chat', chatBody(target, call), call);
  }

  complete(target: ProviderTarget, call: CompletionCall): Promise<GenerationResult> {
    return generateOnce(target, 'api/generate', completionBody(target, call), call);
  }

  async *streamChat(target: ProviderTarget, call: ChatCall): AsyncIterable<GenerationChunk> {
    yield* generateStream(target, 'api/chat', chatBody(target, call), call);
  }

  streamComplete(target: ProviderTarget, call: CompletionCall): AsyncIterable<GenerationChunk> {
    return generateStream(target, 'api/generate', completionBody(target, call), call);
  }

  async embed(target: ProviderTarget, call: EmbeddingCall): Promise<EmbeddingResult> {
    const body = { model: target.providerModel, input: call.texts, dimensions: call.dimensions };
    const callSignal = new CallSignal(call);
    let reply: EmbedReply;
    try {
      reply = await readJson<EmbedReply>(await post(target, 'api/embed', body, callSignal), target, callSignal);
    } finally {
      callSignal.dispose();
    }
    const embeddings = reply.embeddings ?? [];
    if (embeddings.length !== call.texts.length) {
      const counts = `${embeddings.length} embeddings for ${call.texts.length} texts`;
      throw new ProviderError(ProviderErrorCode.ServerError, `Ollama returned ${counts}`);
    }
    if (call.dimensions !== undefined && embeddings.some((vector) => vector.length !== call.dimensions)) {
      throw new ProviderError(
        ProviderErrorCode.Unavailable,
        `Ollama ignored dimensions=${call.dimensions} (returned ${embeddings[0]?.length ?? 0}); ` +
          'it needs a release from September 2025 or later',
      );
    }
    return { embeddings, usage: { promptTokens: reply.prompt_eval_count ?? null } };
  }
}

interface EmbedReply {
  embeddings?: number[][];
  prompt_eval_count?: number;
}

type RequestBody = Record<string, unknown>;

function chatBody(target: ProviderTarget, call: ChatCall): RequestBody {
  return { model: target.providerModel, ...chatFields(call), options: modelOptions(call), logprobs: wantsLogprobs(target) };
}

function completionBody(target: ProviderTarget, call: CompletionCall): RequestBody {
  return { model: target.providerModel, prompt: call.prompt, options: modelOptions(call), logprobs: wantsLogprobs(target) };
}

/** Unset parameters are left out (JSON drops undefined) so that the model's own defaults apply. */
function modelOptions(call: GenerationParams): RequestBody {
  return {
    num_predict: call.maxTokens,
    temperature: call.temperature,
    top_p: call.topP,
    top_k: call.topK,
    stop: call.stop,
    seed: call.seed,
    presence_penalty: call.presencePenalty,
    frequency_penalty: call.frequencyPenalty,
  };
}

function wantsLogprobs(target: ProviderTarget): boolean | undefined {
  return target.options.logprobs === false ? undefined : true;
}

async function generateOnce(
  target: ProviderTarget,
  path: string,
  body: RequestBody,
  call: ChatCall | CompletionCall,
): Promise<GenerationResult> {
  const callSignal = new CallSignal(call);
  try {
    const response = await post(target, path, { ...body, stream: false }, callSignal);
    const result = new ResultBuilder();
    result.add(await readJson<GenerationReply>(response, target, callSignal));
    return result.result();
  } finally {
    callSignal.dispose();
  }
}

/**
 * Reads the NDJSON stream line by line as it arrives. The call signal aborts the request itself,
 * and is also checked before every line, so a cancel or timeout stops the reading at once and is
 * thrown rather than passing off a cut-short stream as complete.
 */
async function* generateStream(
  target: ProviderTarget,
  path: string,
  body: RequestBody,
  call: ChatCall | CompletionCall,
): AsyncGenerator<GenerationChunk> {
  const callSignal = new CallSignal(call);
  const result = new ResultBuilder();
  try {
    const response = await post(target, path, { ...body, stream: true }, callSignal);
    for await (const line of ndjsonLines(response)) {
      throwIfAborted(callSignal);
      const reply = parseJson<GenerationReply>(line);
      if (reply.error !== undefined) throw new ProviderError(ProviderErrorCode.ServerError, redactSecrets(reply.error, target.apiKey));
      const { text, toolCalls } = result.add(reply);
      if (text) yield { type: 'delta', content: text };
      for (const { index, call } of toolCalls) yield { type: 'tool_call_delta', delta: { index, ...call } };
      if (reply.done) break;
    }
  } catch (error) {
    throw readError(error, target, callSignal);
  } finally {
    callSignal.dispose();
  }
  if (!result.finished) throw new ProviderError(ProviderErrorCode.Connection, 'Ollama ended the stream before its final message');
  yield { type: 'done', result: result.result() };
}

/**
 * Splits the body into lines as bytes arrive; a line (or a UTF-8 character) may span network chunks.
 * Only each new chunk is split, so a long line costs its length once, not once per chunk.
 */
async function* ndjsonLines(response: Response): AsyncGenerator<string> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let partial = '';
  // Typed as a stream of any; a fetch body yields bytes.
  for await (const bytes of response.body as AsyncIterable<Uint8Array>) {
    const lines = decoder.decode(bytes, { stream: true }).split('\n');
    if (lines.length === 1) {
      partial += lines[0];
      continue;
    }
    lines[0] = partial + lines[0];
    partial = lines.pop()!;
    yield* lines.filter((line) => line.trim() !== '');
  }
  partial += decoder.decode();
  if (partial.trim() !== '') yield partial;
}

async function post(target: ProviderTarget, path: string, body: RequestBody, callSignal: CallSignal): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // Ollama itself takes no key; one is sent for servers behind an authenticating proxy.
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  let response: Response;
  try {
    response = await nodeHttpFetch(endpoint(target, path), { method: 'POST', headers, body: JSON.stringify(body), signal: callSignal.signal });
  } catch (error) {
    throw readError(error, target, callSignal);
  }
  if (!response.ok) throw await statusError(response, target, callSignal);
  return response;
}

/** Relative to the base URL, so that a server behind a path prefix (`https://host/ollama`) works too. */
function endpoint(target: ProviderTarget, path: string): URL {
  if (!target.baseUrl) throw new ProviderError(ProviderErrorCode.Unavailable, `No Ollama server is configured for model ${target.modelId}`);
  return new URL(path, target.baseUrl.endsWith('/') ? target.baseUrl : `${target.baseUrl}/`);
}

async function readJson<T>(response: Response, target: ProviderTarget, callSignal: CallSignal): Promise<T> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw readError(error, target, callSignal);
  }
  return parseJson<T>(text);
}

/** Ollama's replies are trusted to have its documented shape; every field read is optional. */
function parseJson<T>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ProviderError(ProviderErrorCode.ServerError, `Ollama sent invalid JSON: ${text.slice(0, 200)}`);
  }
}

/** Ollama's error body is `{"error": "..."}`; a proxy in front of it may send anything. */
async function statusError(response: Response, target: ProviderTarget, callSignal: CallSignal): Promise<ProviderError> {
  const text = await response.text().catch(() => '');
  const aborted = callSignal.abortError();
  if (aborted) return aborted;
  let message = text.trim().slice(0, 500) || response.statusText;
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && typeof body.error === 'string') message = body.error;
  } catch {
    // not JSON: the text itself is the message
  }
  return ProviderError.fromStatus(response.status, redactSecrets(message, target.apiKey));
}

/**
 * A failed fetch or body read: a fired signal is the cause whatever the error says; otherwise the
 * server could not be reached or dropped the connection. fetch throws a bare `fetch failed` with
 * the socket's error (`connect ECONNREFUSED ...`) as its cause.
 */
function readError(error: unknown, target: ProviderTarget, callSignal: CallSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  const aborted = callSignal.abortError();
  if (aborted) return aborted;
  const cause = isRecord(error) && isRecord(error.cause) ? error.cause : error;
  return new ProviderError(ProviderErrorCode.Connection, redactSecrets(`Ollama at ${target.baseUrl}: ${messageOf(cause)}`, target.apiKey));
}

/** Duck-typed: under jest, the socket errors Node itself raises come from another realm and fail `instanceof Error`. */
function messageOf(error: unknown): string {
  return isRecord(error) && typeof error.message === 'string' ? error.message : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function throwIfAborted(callSignal: CallSignal): void {
  const aborted = callSignal.abortError();
  if (aborted) throw aborted;
}
