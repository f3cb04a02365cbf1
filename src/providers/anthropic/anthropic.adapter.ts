import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { Injectable } from '@nestjs/common';
import { ProviderError, ProviderErrorCode } from '../provider-error';
import type { MessageCreateParamsNonStreaming, MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages';
import {
  ChatCall,
  CompletionCall,
  EmbeddingResult,
  GenerationChunk,
  GenerationResult,
  NativeCall,
  NativeChunk,
  NativeForwarding,
  ProviderAdapter,
  ProviderTarget,
} from '../provider.types';
import { nodeHttpFetch } from '../http/node-http-fetch';
import { callSdk, SdkClientCache, SdkContext, SdkErrorClasses, streamSdk } from '../sdk-errors';
import { resultOf, StreamedResult } from './anthropic-reply';
import { messageRequest } from './anthropic-request';

const ANTHROPIC_ERRORS: SdkErrorClasses = { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError };

/**
 * Anthropic's Messages API (`target.baseUrl` without `/v1`: the SDK appends `/v1/messages`).
 *
 * `target.options` it reads: `max_tokens`, the default output limit when the call sets none,
 * since Anthropic requires one. Anthropic returns no log-probabilities, so confidence is null.
 * The Messages API version this SDK speaks has no sampling parameters: a temperature derived from
 * `requirements` is not sent, and the router keeps requests that set `temperature` or `top_p` away
 * (`answerParamProblem`). `stop` is sent as `stop_sequences`, `user` as `metadata.user_id`, and
 * `parallelToolCalls: false` as `tool_choice.disable_parallel_tool_use`.
 *
 * Tools are Anthropic's own `tool_use` / `tool_result` blocks, ids kept as they are; images are
 * `image` blocks (base64 or URL sources); cache breakpoints are `cache_control` on the marked block.
 *
 * Structured output: a strict `json_schema` format is Anthropic's native `output_config.format`,
 * which constrains the answer's text and leaves the model free to call the caller's tools first
 * (Anthropic takes only a strict subset there, as OpenAI's strict mode: `additionalProperties:
 * false`). That format cannot express "any JSON object" nor a loose schema, so `json_object` and a
 * schema without `strict` go through a forced tool, `json_answer` (input schema `{type: 'object'}`
 * or the caller's schema), whose input becomes the text content with finish reason `stop`; with the
 * caller's tools present the model must call a tool, its own or `json_answer` to answer (the latter
 * alone under tool choice `none`). The gateway checks the answer against the schema either way.
 */
@Injectable()
export class AnthropicAdapter implements ProviderAdapter {
  readonly kind = 'anthropic';
  readonly supportsDimensions = false;

  // Retries are off: on failure the service moves on to its next candidate model instead.
  // A null base URL keeps the SDK from reading ANTHROPIC_BASE_URL.
  private readonly clients = new SdkClientCache((baseUrl, apiKey) => new Anthropic({ baseURL: baseUrl, apiKey, maxRetries: 0, fetch: nodeHttpFetch }));

  chat(target: ProviderTarget, call: ChatCall): Promise<GenerationResult> {
    return callSdk(context(target), call, async (options) => {
      const { params, answerTool } = messageRequest(target, call);
      const message = await this.clients.get(target).messages.create(params, options);
      return resultOf(message, answerTool);
    });
  }

  complete(target: ProviderTarget, call: CompletionCall): Promise<GenerationResult> {
    return this.chat(target, asChat(call));
  }

  async *streamChat(target: ProviderTarget, call: ChatCall): AsyncIterable<GenerationChunk> {
    const { params, answerTool } = messageRequest(target, call);
    const result = new StreamedResult(answerTool);
    const events = streamSdk(context(target), call, (options) => this.clients.get(target).messages.create({ ...params, stream: true }, options));
    for await (const event of events) {
      const chunk = result.add(event);
      if (chunk) yield chunk;
    }
    yield { type: 'done', result: result.result() };
  }

  streamComplete(target: ProviderTarget, call: CompletionCall): AsyncIterable<GenerationChunk> {
    return this.streamChat(target, asChat(call));
  }

  embed(): Promise<EmbeddingResult> {
    return Promise.reject(new ProviderError(ProviderErrorCode.BadRequest, 'Anthropic has no embeddings API'));
  }

  /** `/v1/messages` bodies, sent as they came with the provider's name for the model: thinking, top_k and beta fields included. */
  readonly native: NativeForwarding = {
    protocol: 'anthropic',
    send: (target, call) =>
      callSdk(context(target), call, async (options) => {
        const params = { ...call.body, model: target.providerModel, stream: false } as unknown as MessageCreateParamsNonStreaming;
        const message = await this.clients.get(target).messages.create(params, { ...options, headers: call.headers });
        return { body: message, result: resultOf(message, null) };
      }),
    stream: (target, call) => this.forwardStream(target, call),
  };

  private async *forwardStream(target: ProviderTarget, call: NativeCall): AsyncIterable<NativeChunk> {
    const params = { ...call.body, model: target.providerModel, stream: true } as unknown as MessageCreateParamsStreaming;
    const result = new StreamedResult(null);
    const events = streamSdk(context(target), call, (options) => this.clients.get(target).messages.create(params, { ...options, headers: call.headers }));
    for await (const event of events) {
      result.add(event);
      yield { type: 'event', event: event as unknown as NativeEvent };
    }
    yield { type: 'done', result: result.result() };
  }
}

type NativeEvent = Extract<NativeChunk, { type: 'event' }>['event'];

function context(target: ProviderTarget): SdkContext {
  return { errors: ANTHROPIC_ERRORS, apiKey: target.apiKey };
}

function asChat(call: CompletionCall): ChatCall {
  const { prompt, ...rest } = call;
  return { ...rest, messages: [{ role: 'user', content: prompt }] };
}
