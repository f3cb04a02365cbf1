import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming, MessageParam, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { Injectable } from '@nestjs/common';
import { ProviderError, ProviderErrorCode } from '../provider-error';
import {
  ChatCall,
  ChatMessage,
  CompletionCall,
  EmbeddingResult,
  FinishReason,
  GenerationChunk,
  GenerationResult,
  ProviderAdapter,
  ProviderTarget,
} from '../provider.types';
import { nodeHttpFetch } from '../http/node-http-fetch';
import { callSdk, SdkClientCache, SdkContext, SdkErrorClasses, streamSdk } from '../sdk-errors';

const ANTHROPIC_ERRORS: SdkErrorClasses = { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError };

const DEFAULT_MAX_TOKENS = 1024;

/**
 * Anthropic's Messages API (`target.baseUrl` without `/v1`: the SDK appends `/v1/messages`).
 *
 * `target.options` it reads: `max_tokens`, the default output limit when the call sets none,
 * since Anthropic requires one. Anthropic returns no log-probabilities, so confidence is null.
 * The Messages API version this SDK speaks has no sampling parameters: a temperature derived from
 * `requirements` is not sent, and the router keeps requests that set `temperature` or `top_p` away
 * (`answerParamProblem`). `stop` is sent as `stop_sequences`, `user` as `metadata.user_id`.
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
      const message = await this.clients.get(target).messages.create(messageParams(target, call), options);
      return resultOf(message);
    });
  }

  complete(target: ProviderTarget, call: CompletionCall): Promise<GenerationResult> {
    return this.chat(target, asChat(call));
  }

  async *streamChat(target: ProviderTarget, call: ChatCall): AsyncIterable<GenerationChunk> {
    const params = { ...messageParams(target, call), stream: true as const };
    const builder = new StreamedResult();
    for await (const event of streamSdk(context(target), call, (options) => this.clients.get(target).messages.create(params, options))) {
      const text = builder.add(event);
      if (text) yield { type: 'delta', content: text };
    }
    yield { type: 'done', result: builder.result() };
  }

  streamComplete(target: ProviderTarget, call: CompletionCall): AsyncIterable<GenerationChunk> {
    return this.streamChat(target, asChat(call));
  }

  embed(): Promise<EmbeddingResult> {
    return Promise.reject(new ProviderError(ProviderErrorCode.BadRequest, 'Anthropic has no embeddings API'));
  }
}

function context(target: ProviderTarget): SdkContext {
  return { errors: ANTHROPIC_ERRORS, apiKey: target.apiKey };
}

function asChat(call: CompletionCall): ChatCall {
  const { prompt, ...rest } = call;
  return { ...rest, messages: [{ role: 'user', content: prompt }] };
}

/** Anthropic takes the system prompt as a parameter of its own, not as a message. */
function messageParams(target: ProviderTarget, call: ChatCall): MessageCreateParamsNonStreaming {
  const system = call.messages.filter((message) => message.role === 'system').map((message) => message.content);
  return {
    model: target.providerModel,
    max_tokens: call.maxTokens ?? defaultMaxTokens(target),
    messages: call.messages.flatMap(conversationMessage),
    system: system.length > 0 ? system.join('\n\n') : undefined,
    stop_sequences: call.stop,
    metadata: call.user === undefined ? undefined : { user_id: call.user },
  };
}

function conversationMessage(message: ChatMessage): MessageParam[] {
  return message.role === 'system' ? [] : [{ role: message.role, content: message.content }];
}

function defaultMaxTokens(target: ProviderTarget): number {
  const configured = target.options.max_tokens;
  return typeof configured === 'number' ? configured : DEFAULT_MAX_TOKENS;
}

function resultOf(message: Message): GenerationResult {
  return {
    content: message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
    finishReason: finishReason(message.stop_reason),
    usage: { promptTokens: message.usage.input_tokens, completionTokens: message.usage.output_tokens },
    confidence: null,
    modelSpecific: modelSpecific(message.id, message.stop_sequence),
  };
}

function modelSpecific(id: string | null, stopSequence: string | null): Record<string, unknown> {
  return { ...(id ? { id } : {}), ...(stopSequence ? { stop_sequence: stopSequence } : {}) };
}

/** Folds the stream's events into the result a non-streamed call would have returned. */
class StreamedResult {
  private content = '';
  private id: string | null = null;
  private stopReason: string | null = null;
  private stopSequence: string | null = null;
  private inputTokens: number | null = null;
  private outputTokens: number | null = null;

  /** Takes one event in; returns the text it adds, if any. */
  add(event: RawMessageStreamEvent): string {
    switch (event.type) {
      case 'message_start':
        this.id = event.message.id;
        this.inputTokens = event.message.usage.input_tokens;
        this.outputTokens = event.message.usage.output_tokens;
        return '';
      case 'content_block_delta':
        if (event.delta.type !== 'text_delta') return '';
        this.content += event.delta.text;
        return event.delta.text;
      case 'message_delta':
        // Its counts are cumulative, so they replace the ones from message_start.
        this.stopReason = event.delta.stop_reason;
        this.stopSequence = event.delta.stop_sequence;
        this.inputTokens = event.usage.input_tokens ?? this.inputTokens;
        this.outputTokens = event.usage.output_tokens;
        return '';
      case 'content_block_start':
      case 'content_block_stop':
      case 'message_stop':
        return '';
    }
  }

  result(): GenerationResult {
    return {
      content: this.content,
      finishReason: finishReason(this.stopReason),
      usage: { promptTokens: this.inputTokens, completionTokens: this.outputTokens },
      confidence: null,
      modelSpecific: modelSpecific(this.id, this.stopSequence),
    };
  }
}

/** Stop reasons added to the API after this SDK count as a normal stop. */
function finishReason(reason: string | null): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    case 'end_turn':
    case 'stop_sequence':
    case null:
    default:
      return 'stop';
  }
}
