import type { CompletionView, ToolCallView } from '../inference/dto/completion.view';
import type { FinishReason } from '../providers/provider.types';

/** The gateway's answer in Anthropic's `Message` shape, for models that did not speak Anthropic's protocol themselves. */

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type AnthropicContentBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** Message ids look like Anthropic's; the request id itself is in the `request-id` header. */
export function messageId(requestId: string): string {
  return `msg_${requestId}`;
}

export function toMessage(view: CompletionView): AnthropicMessage {
  return {
    id: messageId(view.completion_id),
    type: 'message',
    role: 'assistant',
    model: view.model.id,
    content: [...(view.content === '' ? [] : [{ type: 'text' as const, text: view.content }]), ...(view.tool_calls ?? []).map(toolUseBlock)],
    stop_reason: stopReasonOf(view),
    stop_sequence: stopSequenceOf(view),
    usage: usageOf(view),
  };
}

export function toolUseBlock(call: ToolCallView): AnthropicContentBlock {
  return { type: 'tool_use', id: call.id, name: call.function.name, input: inputOf(call.function.arguments) };
}

/** A model's arguments that are not a JSON object (it wrote them wrong) are kept under `_raw`, never dropped. */
function inputOf(args: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // falls through to _raw
  }
  return { _raw: args };
}

const STOP_REASONS: Record<FinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
  cancelled: 'end_turn',
};

export function stopReasonOf(view: CompletionView): string {
  return stopSequenceOf(view) === null ? STOP_REASONS[view.metadata.finish_reason] : 'stop_sequence';
}

function stopSequenceOf(view: CompletionView): string | null {
  const sequence = view.metadata.model_specific.stop_sequence;
  return typeof sequence === 'string' ? sequence : null;
}

/** Anthropic counts cached and cache-written input apart from `input_tokens`; the gateway's `prompt_tokens` holds all three. */
export function usageOf(view: CompletionView): AnthropicUsage {
  const cached = view.usage.cached_tokens ?? 0;
  const written = view.usage.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max(0, view.usage.prompt_tokens - cached - written),
    output_tokens: view.usage.completion_tokens,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
  };
}
