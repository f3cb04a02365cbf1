import type { Message, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { FinishReason, GenerationChunk, GenerationResult, ProviderUsage, ToolCall } from '../provider.types';

/**
 * Anthropic's replies, whole or streamed, as normalized results. The input of the answer tool (if
 * the request had one, see `messageRequest`) is the answer's text, never a tool call.
 */

interface UsageCounts {
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
}

export function resultOf(message: Message, answerTool: string | null): GenerationResult {
  let content = '';
  let answered = false;
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content += block.text;
    if (block.type !== 'tool_use') continue;
    const input = JSON.stringify(block.input);
    if (block.name === answerTool) {
      content += input;
      answered = true;
    } else {
      toolCalls.push({ id: block.id, name: block.name, arguments: input });
    }
  }
  const { usage } = message;
  return {
    content,
    toolCalls,
    finishReason: finishReasonOf(message.stop_reason, answered && toolCalls.length === 0),
    usage: usageOf({ input: usage.input_tokens, output: usage.output_tokens, cacheRead: usage.cache_read_input_tokens, cacheWrite: usage.cache_creation_input_tokens }),
    confidence: null,
    modelSpecific: modelSpecific(message.id, message.stop_sequence),
  };
}

/** What a content block of the stream is, by its index: the answer tool's input, or the n-th tool call. */
type StreamedBlock = { kind: 'answer' } | { kind: 'call'; call: number };

/** Folds the stream's events into the result a non-streamed call would have returned. */
export class StreamedResult {
  private content = '';
  private answered = false;
  private readonly toolCalls: ToolCall[] = [];
  /** Each call's input as its start event gave it, for a call whose input comes in no deltas. */
  private readonly startInputs: string[] = [];
  private readonly blocks = new Map<number, StreamedBlock>();
  private id: string | null = null;
  private stopReason: string | null = null;
  private stopSequence: string | null = null;
  private usage: UsageCounts = { input: null, output: null, cacheRead: null, cacheWrite: null };

  constructor(private readonly answerTool: string | null) {}

  /** Takes one event in; returns the chunk it makes for the caller, if any. */
  add(event: RawMessageStreamEvent): GenerationChunk | null {
    switch (event.type) {
      case 'message_start': {
        const { usage } = event.message;
        this.id = event.message.id;
        this.usage = { input: usage.input_tokens, output: usage.output_tokens, cacheRead: usage.cache_read_input_tokens, cacheWrite: usage.cache_creation_input_tokens };
        return null;
      }
      case 'content_block_start':
        return this.startBlock(event.index, event.content_block);
      case 'content_block_delta':
        if (event.delta.type === 'text_delta') return this.addText(event.delta.text);
        if (event.delta.type === 'input_json_delta') return this.addInput(event.index, event.delta.partial_json);
        return null;
      case 'message_delta': {
        // Its counts are cumulative, so they replace the ones from message_start.
        const { usage } = event;
        this.stopReason = event.delta.stop_reason;
        this.stopSequence = event.delta.stop_sequence;
        this.usage = {
          input: usage.input_tokens ?? this.usage.input,
          output: usage.output_tokens,
          cacheRead: usage.cache_read_input_tokens ?? this.usage.cacheRead,
          cacheWrite: usage.cache_creation_input_tokens ?? this.usage.cacheWrite,
        };
        return null;
      }
      case 'content_block_stop':
      case 'message_stop':
        return null;
    }
  }

  result(): GenerationResult {
    return {
      content: this.content,
      toolCalls: this.toolCalls.map((call, index) => ({ ...call, arguments: call.arguments || this.startInputs[index] })),
      finishReason: finishReasonOf(this.stopReason, this.answered && this.toolCalls.length === 0),
      usage: usageOf(this.usage),
      confidence: null,
      modelSpecific: modelSpecific(this.id, this.stopSequence),
    };
  }

  private startBlock(index: number, block: Extract<RawMessageStreamEvent, { type: 'content_block_start' }>['content_block']): GenerationChunk | null {
    if (block.type !== 'tool_use') return null;
    if (block.name === this.answerTool) {
      this.answered = true;
      this.blocks.set(index, { kind: 'answer' });
      return null;
    }
    const call = this.toolCalls.push({ id: block.id, name: block.name, arguments: '' }) - 1;
    this.startInputs.push(JSON.stringify(block.input));
    this.blocks.set(index, { kind: 'call', call });
    return { type: 'tool_call_delta', delta: { index: call, id: block.id, name: block.name, arguments: '' } };
  }

  private addText(text: string): GenerationChunk | null {
    if (text === '') return null;
    this.content += text;
    return { type: 'delta', content: text };
  }

  private addInput(index: number, json: string): GenerationChunk | null {
    const block = this.blocks.get(index);
    if (!block || json === '') return null;
    if (block.kind === 'answer') return this.addText(json);
    this.toolCalls[block.call].arguments += json;
    return { type: 'tool_call_delta', delta: { index: block.call, arguments: json } };
  }
}

/**
 * Anthropic counts uncached input apart from cache reads and writes; the prompt is all three. Cache
 * counts are left out where none were read or written.
 */
function usageOf({ input, output, cacheRead, cacheWrite }: UsageCounts): ProviderUsage {
  const promptTokens = input === null ? null : input + (cacheRead ?? 0) + (cacheWrite ?? 0);
  return {
    promptTokens,
    completionTokens: output,
    ...(cacheRead ? { cachedTokens: cacheRead } : {}),
    ...(cacheWrite ? { cacheWriteTokens: cacheWrite } : {}),
  };
}

function modelSpecific(id: string | null, stopSequence: string | null): Record<string, unknown> {
  return { ...(id ? { id } : {}), ...(stopSequence ? { stop_sequence: stopSequence } : {}) };
}

/**
 * Stop reasons added to the API after this SDK count as a normal stop. A turn that ended in the
 * answer tool alone (`answered`) is an answer, not a tool call.
 */
function finishReasonOf(reason: string | null, answered: boolean): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return answered ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    case 'end_turn':
    case 'stop_sequence':
    case null:
    default:
      return 'stop';
  }
}
