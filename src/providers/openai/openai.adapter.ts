import { Injectable } from '@nestjs/common';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { chatRequestFields, toolCallsOf, ToolCallAccumulator } from './openai-chat-fields';
import type { Completion, CompletionCreateParamsNonStreaming, CompletionUsage } from 'openai/resources/completions';
import { confidenceFromLogprobs } from '../call-signal';
import { usesCompletionsApi } from '../generation-params';
import {
  Alternative,
  ChatCall,
  CompletionCall,
  EmbeddingCall,
  EmbeddingResult,
  FinishReason,
  GenerationChunk,
  GenerationParams,
  GenerationResult,
  ProviderAdapter,
  ProviderTarget,
  ToolCallDelta,
} from '../provider.types';
import { nodeHttpFetch } from '../http/node-http-fetch';
import { postChatCompletion } from './openai-chat-call';
import { callSdk, SdkClientCache, SdkContext, SdkErrorClasses, SdkRequestOptions, streamSdk } from '../sdk-errors';

const OPENAI_ERRORS: SdkErrorClasses = { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError };

/**
 * OpenAI and any OpenAI-compatible server (`target.baseUrl`, including `/v1`).
 *
 * `target.options` it reads:
 * - `completions_api: true` sends `complete()` to the legacy `/completions` endpoint instead of
 *   wrapping the prompt in a chat message.
 * - `logprobs: false` stops asking for log-probabilities, for compatible servers that reject the
 *   parameter; confidence is then null.
 *
 * Tools, tool choice, response formats and image parts are OpenAI's own request shapes, passed
 * through as they came (`openai-chat-fields.ts`); cached prompt tokens are read from
 * `usage.prompt_tokens_details.cached_tokens`.
 */
@Injectable()
export class OpenAiAdapter implements ProviderAdapter {
  readonly kind = 'openai';
  readonly supportsDimensions = true;

  // Retries are off: on failure the service moves on to its next candidate model instead.
  // Null base URL, organization and project keep the SDK from reading OPENAI_* variables.
  private readonly clients = new SdkClientCache(
    (baseUrl, apiKey) => new OpenAI({ baseURL: baseUrl, apiKey, organization: null, project: null, maxRetries: 0, fetch: nodeHttpFetch }),
  );

  chat(target: ProviderTarget, call: ChatCall): Promise<GenerationResult> {
    return callSdk(context(target), call, async (options) => {
      const response = await postChatCompletion(this.clients.get(target), chatParams(target, call), options);
      const alternatives = alternativesOf(response);
      return { ...new ResultBuilder().add(chatPiece(response)).result(), ...(alternatives.length > 0 && { alternatives }) };
    });
  }

  complete(target: ProviderTarget, call: CompletionCall): Promise<GenerationResult> {
    if (!usesCompletionsApi(target)) return this.chat(target, asChat(call));
    return callSdk(context(target), call, async (options) => {
      const response = await this.clients.get(target).completions.create(completionParams(target, call), options);
      return new ResultBuilder().add(completionPiece(response)).result();
    });
  }

  streamChat(target: ProviderTarget, call: ChatCall): AsyncIterable<GenerationChunk> {
    const params = { ...chatParams(target, call), stream: true as const, stream_options: { include_usage: true } };
    return this.generate(target, call, (client, options) => client.chat.completions.create(params, options), chatChunkPiece);
  }

  streamComplete(target: ProviderTarget, call: CompletionCall): AsyncIterable<GenerationChunk> {
    if (!usesCompletionsApi(target)) return this.streamChat(target, asChat(call));
    const params = { ...completionParams(target, call), stream: true as const, stream_options: { include_usage: true } };
    return this.generate(target, call, (client, options) => client.completions.create(params, options), completionPiece);
  }

  embed(target: ProviderTarget, call: EmbeddingCall): Promise<EmbeddingResult> {
    return callSdk(context(target), call, async (options) => {
      // Floats rather than the SDK's default base64: not every compatible server can encode base64.
      const response = await this.clients
        .get(target)
        .embeddings.create({ model: target.providerModel, input: call.texts, dimensions: call.dimensions, encoding_format: 'float' }, options);
      const ordered = [...response.data].sort((a, b) => a.index - b.index);
      return { embeddings: ordered.map((item) => item.embedding), usage: { promptTokens: response.usage?.prompt_tokens ?? null } };
    });
  }

  private async *generate<E>(
    target: ProviderTarget,
    call: ChatCall | CompletionCall,
    open: (client: OpenAI, options: SdkRequestOptions) => Promise<AsyncIterable<E>>,
    pieceOf: (event: E) => Piece,
  ): AsyncGenerator<GenerationChunk> {
    const builder = new ResultBuilder();
    for await (const event of streamSdk(context(target), call, (options) => open(this.clients.get(target), options))) {
      const piece = pieceOf(event);
      builder.add(piece);
      if (piece.text) yield { type: 'delta', content: piece.text };
      for (const delta of piece.toolCallDeltas) yield { type: 'tool_call_delta', delta };
    }
    yield { type: 'done', result: builder.result() };
  }
}

function context(target: ProviderTarget): SdkContext {
  return { errors: OPENAI_ERRORS, apiKey: target.apiKey };
}

function wantsLogprobs(target: ProviderTarget): boolean {
  return target.options.logprobs !== false;
}

function asChat(call: CompletionCall): ChatCall {
  const { prompt, ...rest } = call;
  return { ...rest, messages: [{ role: 'user', content: prompt }] };
}

/** Unset parameters stay undefined, which the SDK leaves out of the body. */
function chatParams(target: ProviderTarget, call: ChatCall): ChatCompletionCreateParamsNonStreaming {
  return {
    model: target.providerModel,
    ...chatRequestFields(call),
    ...sharedParams(call),
    ...tokenLimit(target, call.maxTokens),
    reasoning_effort: call.reasoningEffort,
    service_tier: call.serviceTier,
    logprobs: wantsLogprobs(target) ? true : undefined,
  };
}

/** What chat and the legacy endpoint both take (see PASSED_HINTS in generation-params.ts). */
function sharedParams(call: GenerationParams): Pick<CompletionCreateParamsNonStreaming, SharedParam> {
  return {
    temperature: call.temperature,
    top_p: call.topP,
    stop: call.stop,
    seed: call.seed,
    presence_penalty: call.presencePenalty,
    frequency_penalty: call.frequencyPenalty,
    logit_bias: call.logitBias,
    user: call.user,
  };
}

type SharedParam = 'temperature' | 'top_p' | 'stop' | 'seed' | 'presence_penalty' | 'frequency_penalty' | 'logit_bias' | 'user';

/**
 * OpenAI deprecated `max_tokens` for chat and its reasoning models reject it, while many
 * compatible servers still only know `max_tokens`.
 */
function tokenLimit(target: ProviderTarget, maxTokens: number | undefined): { max_tokens?: number; max_completion_tokens?: number } {
  return target.baseUrl === null ? { max_completion_tokens: maxTokens } : { max_tokens: maxTokens };
}

function completionParams(target: ProviderTarget, call: CompletionCall): CompletionCreateParamsNonStreaming {
  return {
    model: target.providerModel,
    prompt: call.prompt,
    max_tokens: call.maxTokens,
    ...sharedParams(call),
    // The legacy endpoint always includes the sampled token; 1 also works on servers that treat 0 as "off".
    logprobs: wantsLogprobs(target) ? 1 : undefined,
  };
}

/** What one response, or one stream chunk, contributes to a generation result. */
interface Piece {
  id: string;
  text: string;
  /** Whole calls from a response; pieces of calls from a stream chunk. */
  toolCallDeltas: ToolCallDelta[];
  finishReason: string | null;
  logprobs: number[];
  usage: CompletionUsage | null | undefined;
  systemFingerprint: string | undefined;
}

function chatPiece(response: ChatCompletion): Piece {
  const choice = response.choices.find((each) => each.index === 0) ?? response.choices.at(0);
  return {
    ...common(response),
    text: choice?.message.content ?? '',
    toolCallDeltas: toolCallsOf(choice?.message.tool_calls),
    finishReason: choice?.finish_reason ?? null,
    logprobs: choice?.logprobs?.content?.map((token) => token.logprob) ?? [],
  };
}

/** The choices after the first (`n` above 1), in order. */
function alternativesOf(response: ChatCompletion): Alternative[] {
  return response.choices
    .filter((choice) => choice.index > 0)
    .sort((a, b) => a.index - b.index)
    .map((choice) => ({
      content: choice.message.content ?? '',
      toolCalls: toolCallsOf(choice.message.tool_calls).map(({ id, name, arguments: args }) => ({ id: id ?? '', name: name ?? '', arguments: args })),
      finishReason: finishReason(choice.finish_reason),
    }));
}

function chatChunkPiece(chunk: ChatCompletionChunk): Piece {
  const choice = chunk.choices.at(0);
  return {
    ...common(chunk),
    text: choice?.delta.content ?? '',
    toolCallDeltas: (choice?.delta.tool_calls ?? []).map((delta) => ({
      index: delta.index,
      ...(delta.id ? { id: delta.id } : {}),
      ...(delta.function?.name ? { name: delta.function.name } : {}),
      arguments: delta.function?.arguments ?? '',
    })),
    finishReason: choice?.finish_reason ?? null,
    logprobs: choice?.logprobs?.content?.map((token) => token.logprob) ?? [],
  };
}

/** The legacy endpoint's responses and its stream chunks have the same shape. */
function completionPiece(response: Completion): Piece {
  const choice = response.choices.at(0);
  return {
    ...common(response),
    text: choice?.text ?? '',
    toolCallDeltas: [],
    finishReason: choice?.finish_reason ?? null,
    logprobs: choice?.logprobs?.token_logprobs ?? [],
  };
}

function common(response: ChatCompletion | ChatCompletionChunk | Completion): Pick<Piece, 'id' | 'usage' | 'systemFingerprint'> {
  return { id: response.id, usage: response.usage, systemFingerprint: response.system_fingerprint };
}

class ResultBuilder {
  private content = '';
  private readonly toolCalls = new ToolCallAccumulator();
  private finishReason: string | null = null;
  private readonly logprobs: number[] = [];
  private usage: CompletionUsage | null = null;
  private id: string | null = null;
  private systemFingerprint: string | null = null;

  add(piece: Piece): this {
    this.content += piece.text;
    piece.toolCallDeltas.forEach((delta) => this.toolCalls.add(delta));
    this.finishReason = piece.finishReason ?? this.finishReason;
    this.logprobs.push(...piece.logprobs);
    this.usage = piece.usage ?? this.usage;
    this.id = piece.id;
    this.systemFingerprint = piece.systemFingerprint ?? this.systemFingerprint;
    return this;
  }

  result(): GenerationResult {
    const cached = this.usage?.prompt_tokens_details?.cached_tokens;
    return {
      content: this.content,
      toolCalls: this.toolCalls.calls(),
      finishReason: finishReason(this.finishReason),
      usage: {
        promptTokens: this.usage?.prompt_tokens ?? null,
        completionTokens: this.usage?.completion_tokens ?? null,
        ...(typeof cached === 'number' && { cachedTokens: cached }),
      },
      confidence: confidenceFromLogprobs(this.logprobs),
      modelSpecific: {
        ...(this.id ? { id: this.id } : {}),
        ...(this.systemFingerprint ? { system_fingerprint: this.systemFingerprint } : {}),
      },
    };
  }
}

/** Compatible servers send reasons of their own (e.g. `eos`); those count as a normal stop. */
function finishReason(reason: string | null): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'stop':
    case null:
    default:
      return 'stop';
  }
}
