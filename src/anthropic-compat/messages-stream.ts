import type { CompletionView } from '../inference/dto/completion.view';
import type { ToolCallDelta } from '../providers/provider.types';
import { AnthropicUsage, messageId, stopReasonOf, usageOf } from './messages-response.mapper';

/** One Server-Sent Event of Anthropic's stream: `event: <type>`, `data: {"type": <type>, ...}`. */
export interface StreamEvent {
  event: string;
  data: { type: string } & Record<string, unknown>;
}

const event = (type: string, fields: Record<string, unknown> = {}): StreamEvent => ({ event: type, data: { type, ...fields } });

/**
 * Anthropic's event grammar, written from a stream of text and tool-call pieces in OpenAI's form:
 *
 *   message_start ping (content_block_start content_block_delta* content_block_stop)* message_delta message_stop
 *
 * A text block opens at the first text and closes when a tool call starts; each tool call is a
 * `tool_use` block whose arguments arrive as `input_json_delta` pieces. `message_start` goes out
 * with the first piece (the answering model is not known before), its usage zero; the real counts
 * come in `message_delta`, which Anthropic's SDKs take as the totals.
 */
export class MessageStreamEncoder {
  private started = false;
  private nextIndex = 0;
  private open: { kind: 'text' } | { kind: 'tool'; call: number } | null = null;

  constructor(private readonly meta: { requestId: string; model: string }) {}

  text(text: string): StreamEvent[] {
    const events = this.start();
    if (this.open?.kind !== 'text') {
      events.push(...this.closeBlock(), event('content_block_start', { index: this.nextIndex, content_block: { type: 'text', text: '' } }));
      this.open = { kind: 'text' };
    }
    events.push(event('content_block_delta', { index: this.nextIndex, delta: { type: 'text_delta', text } }));
    return events;
  }

  toolCall(delta: ToolCallDelta): StreamEvent[] {
    const events = this.start();
    if (this.open?.kind !== 'tool' || this.open.call !== delta.index) {
      events.push(
        ...this.closeBlock(),
        event('content_block_start', { index: this.nextIndex, content_block: { type: 'tool_use', id: delta.id ?? '', name: delta.name ?? '', input: {} } }),
      );
      this.open = { kind: 'tool', call: delta.index };
    }
    if (delta.arguments !== '') events.push(event('content_block_delta', { index: this.nextIndex, delta: { type: 'input_json_delta', partial_json: delta.arguments } }));
    return events;
  }

  /** The closing events, with the stop reason and the usage of the answer as recorded. */
  finish(view: CompletionView): StreamEvent[] {
    const stopSequence = view.metadata.model_specific.stop_sequence;
    return [
      ...this.start(),
      ...this.closeBlock(),
      event('message_delta', {
        delta: { stop_reason: stopReasonOf(view), stop_sequence: typeof stopSequence === 'string' ? stopSequence : null },
        usage: usageOf(view),
      }),
      event('message_stop'),
    ];
  }

  get isStarted(): boolean {
    return this.started;
  }

  private start(): StreamEvent[] {
    if (this.started) return [];
    this.started = true;
    const usage: AnthropicUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    const message = { id: messageId(this.meta.requestId), type: 'message', role: 'assistant', model: this.meta.model, content: [], stop_reason: null, stop_sequence: null, usage };
    return [event('message_start', { message }), event('ping')];
  }

  private closeBlock(): StreamEvent[] {
    if (this.open === null) return [];
    this.open = null;
    return [event('content_block_stop', { index: this.nextIndex++ })];
  }
}
