import { randomBytes } from 'node:crypto';
import { confidenceFromLogprobs } from '../call-signal';
import { FinishReason, GenerationResult, ToolCall } from '../provider.types';

/** One generation reply, or one line of a generation stream: `/api/chat` and `/api/generate` differ only in where the text is. */
export interface GenerationReply {
  message?: { content?: string; tool_calls?: OllamaReplyToolCall[] };
  response?: string;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  logprobs?: { logprob: number }[];
  total_duration?: number;
  load_duration?: number;
  prompt_eval_duration?: number;
  eval_duration?: number;
  /** Sent as a stream line when the model fails after the answer has started. */
  error?: string;
}

/** Whole calls, even in a stream; only newer Ollama servers give them an id. */
interface OllamaReplyToolCall {
  id?: string;
  function?: { name?: string; arguments?: Record<string, unknown> };
}

/** What one reply, or one stream line, adds to the answer. */
export interface ReplyPiece {
  text: string;
  /** The calls this line made, each with its index among all the answer's calls. */
  toolCalls: { index: number; call: ToolCall }[];
}

/** Gathers a reply, or the lines of a stream, into one result. */
export class ResultBuilder {
  private content = '';
  private readonly toolCalls: ToolCall[] = [];
  private final: GenerationReply | null = null;
  private readonly logprobs: number[] = [];

  get finished(): boolean {
    return this.final !== null;
  }

  add(reply: GenerationReply): ReplyPiece {
    const text = reply.message?.content ?? reply.response ?? '';
    this.content += text;
    const calls = (reply.message?.tool_calls ?? []).map((wire) => {
      const call = toolCall(wire);
      return { index: this.toolCalls.push(call) - 1, call };
    });
    this.logprobs.push(...(reply.logprobs ?? []).map((token) => token.logprob));
    if (reply.done) this.final = reply;
    return { text, toolCalls: calls };
  }

  result(): GenerationResult {
    const final = this.final ?? {};
    return {
      content: this.content,
      toolCalls: this.toolCalls,
      finishReason: this.toolCalls.length > 0 ? 'tool_calls' : finishReason(final.done_reason),
      usage: { promptTokens: final.prompt_eval_count ?? null, completionTokens: final.eval_count ?? null },
      confidence: confidenceFromLogprobs(this.logprobs),
      modelSpecific: durations(final),
    };
  }
}

/** Ollama's id where it sends one; otherwise one of ours, which the history maps back by tool name. */
function toolCall({ id, function: fn }: OllamaReplyToolCall): ToolCall {
  return {
    id: typeof id === 'string' && id !== '' ? id : `call_${randomBytes(12).toString('hex')}`,
    name: fn?.name ?? '',
    arguments: JSON.stringify(fn?.arguments ?? {}),
  };
}

/** Ollama also ends with `load` or `unload` in edge cases; anything but `length` is a normal stop. */
function finishReason(doneReason: string | undefined): FinishReason {
  return doneReason === 'length' ? 'length' : 'stop';
}

/** Ollama's timings, in nanoseconds as it reports them. */
function durations(reply: GenerationReply): Record<string, number> {
  const { total_duration, load_duration, prompt_eval_duration, eval_duration } = reply;
  const all = { total_duration, load_duration, prompt_eval_duration, eval_duration };
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}
