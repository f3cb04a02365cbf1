import { EmbeddingsResponseView } from '../embeddings/dto/embeddings.dto';
import { CompletionView } from '../inference/dto/completion.view';
import { AUTO_MODEL } from '../models/aliases/alias-table';
import { ModelView } from '../models/dto/model.dto';
import { EncodingFormat } from './dto/openai-request.dto';
import {
  OpenAiChatChunk,
  OpenAiChatCompletionView,
  OpenAiEmbeddingListView,
  OpenAiModelListView,
  OpenAiTextChunk,
  OpenAiTextCompletionView,
  OpenAiUsageView,
} from './dto/openai-response.view';
import { ToolCallDelta } from '../providers/provider.types';

/** Who `auto` belongs to in the model list. */
export const GATEWAY_OWNER = 'model-orchestration';

export function unixSeconds(at: Date | string): number {
  return Math.floor(new Date(at).getTime() / 1000);
}

/** USD as a plain decimal (never exponent notation), for the X-Estimated-Cost header. */
export function formatUsd(cost: number): string {
  return cost.toFixed(12).replace(/\.?0+$/, '');
}

function usageOf(view: CompletionView): OpenAiUsageView {
  const { prompt_tokens, completion_tokens, total_tokens, cached_tokens, estimated_cost } = view.usage;
  return {
    prompt_tokens,
    completion_tokens,
    total_tokens,
    ...(cached_tokens !== undefined && { prompt_tokens_details: { cached_tokens } }),
    estimated_cost,
  };
}

export function toChatCompletion(view: CompletionView): OpenAiChatCompletionView {
  const first = { content: view.content, tool_calls: view.tool_calls, finish_reason: view.metadata.finish_reason };
  return {
    id: view.completion_id,
    object: 'chat.completion',
    created: unixSeconds(view.created_at),
    model: view.model.id,
    choices: [first, ...(view.alternatives ?? [])].map((choice, index) => ({
      index,
      message: {
        role: 'assistant',
        // OpenAI's answers carry null content beside tool calls, and SDKs test for it.
        content: choice.tool_calls && choice.content === '' ? null : choice.content,
        refusal: null,
        ...(choice.tool_calls && { tool_calls: choice.tool_calls }),
      },
      logprobs: null,
      finish_reason: choice.finish_reason,
    })),
    usage: usageOf(view),
  };
}

export function toTextCompletion(view: CompletionView): OpenAiTextCompletionView {
  return {
    id: view.completion_id,
    object: 'text_completion',
    created: unixSeconds(view.created_at),
    model: view.model.id,
    choices: [{ text: view.content, index: 0, logprobs: null, finish_reason: view.metadata.finish_reason }],
    usage: usageOf(view),
  };
}

/** Little-endian float32, base64-encoded: OpenAI's `encoding_format: "base64"`. */
export function toBase64Floats(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

export function toEmbeddingList(view: EmbeddingsResponseView, encoding: EncodingFormat = 'float'): OpenAiEmbeddingListView {
  return {
    object: 'list',
    data: view.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: encoding === 'base64' ? toBase64Floats(vector) : vector,
    })),
    model: view.model.id,
    usage: { prompt_tokens: view.usage.total_tokens, total_tokens: view.usage.total_tokens, estimated_cost: view.usage.estimated_cost },
  };
}

/** `auto` first, then every model that can be called now; `created` is 0, the registry publishes no creation time. */
export function toModelList(models: ModelView[]): OpenAiModelListView {
  return {
    object: 'list',
    data: [
      { id: AUTO_MODEL, object: 'model', created: 0, owned_by: GATEWAY_OWNER },
      ...models.filter((model) => model.metadata.available).map((model) => ({ id: model.id, object: 'model' as const, created: 0, owned_by: model.provider })),
    ],
  };
}

/** What every chunk of one stream shares. `model` is the requested one until the answer says which model served it. */
export interface StreamMeta {
  id: string;
  created: number;
  model: string;
  /** `stream_options.include_usage`: every chunk carries `usage: null`, and a last chunk the usage. */
  includeUsage: boolean;
}

/** Turns a stream's content deltas and final answer into OpenAI chunks. */
export interface ChunkEncoder {
  delta(content: string): object[];
  /** A piece of a tool call (chat streams only). */
  toolCallDelta(delta: ToolCallDelta): object[];
  /** The closing chunks: the finish reason (and the model that answered), then the usage when asked for. */
  finish(view: CompletionView): object[];
}

export function chatChunkEncoder(meta: StreamMeta): ChunkEncoder {
  let opened = false;
  const chunk = (model: string, choices: OpenAiChatChunk['choices'], usage?: OpenAiUsageView): OpenAiChatChunk => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model,
    choices,
    ...(meta.includeUsage && { usage: usage ?? null }),
  });
  // A chat stream opens with the assistant role, as OpenAI's does; LangChain reads the message type from it.
  const open = (): OpenAiChatChunk[] => {
    if (opened) return [];
    opened = true;
    return [chunk(meta.model, [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }])];
  };
  return {
    delta: (content) => [...open(), chunk(meta.model, [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }])],
    toolCallDelta: ({ index, id, name, arguments: args }) => [
      ...open(),
      chunk(meta.model, [
        {
          index: 0,
          // OpenAI's first piece of a call has its id, type and name; later ones only more arguments.
          delta: { tool_calls: [{ index, ...(id !== undefined && { id, type: 'function' as const }), function: { ...(name !== undefined && { name }), arguments: args } }] },
          logprobs: null,
          finish_reason: null,
        },
      ]),
    ],
    finish: (view) => [
      ...open(),
      chunk(view.model.id, [{ index: 0, delta: {}, logprobs: null, finish_reason: view.metadata.finish_reason }]),
      ...(meta.includeUsage ? [chunk(view.model.id, [], usageOf(view))] : []),
    ],
  };
}

export function textChunkEncoder(meta: StreamMeta): ChunkEncoder {
  const chunk = (model: string, choices: OpenAiTextChunk['choices'], usage?: OpenAiUsageView): OpenAiTextChunk => ({
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model,
    choices,
    ...(meta.includeUsage && { usage: usage ?? null }),
  });
  return {
    delta: (text) => [chunk(meta.model, [{ text, index: 0, logprobs: null, finish_reason: null }])],
    toolCallDelta: () => [],
    finish: (view) => [
      chunk(view.model.id, [{ text: '', index: 0, logprobs: null, finish_reason: view.metadata.finish_reason }]),
      ...(meta.includeUsage ? [chunk(view.model.id, [], usageOf(view))] : []),
    ],
  };
}
