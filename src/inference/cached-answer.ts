import { Caller } from '../access/client-key';
import { CacheKeyParts, OPEN_SCOPE } from '../cache/cache-key';
import { ToolCallDelta } from '../providers/provider.types';
import { CompletionView } from './dto/completion.view';
import { Job, RunControl } from './inference.types';

/** One piece of a streamed answer, in the order the caller got it. */
export type ReplayEvent = { delta: string } | { tool_call: ToolCallDelta };

/** What the response cache keeps of an answer. */
export interface CachedAnswer {
  /** The body as its request answered it. */
  view: CompletionView;
  /** The stream as it was sent; for an answer that was not streamed, its content and tool calls as pieces. */
  replay: ReplayEvent[];
  /** The hints the answering provider did not get (`X-Ignored-Params`). */
  ignoredParams: string[];
}

/**
 * Everything that makes two requests the same: who may see the answer (each client key has its
 * own entries, so a tenant never gets another's answer nor learns another's prompt), the model
 * choice, the prompt as the model reads it and every parameter. Metadata and `stream` are not in
 * it: a streamed request may be answered from a request that was not, and the other way round.
 */
export function cacheKeyPartsOf(job: Job, caller: Caller): CacheKeyParts {
  const { dto } = job;
  return {
    scope: caller.kind === 'key' ? `key:${caller.key.id}` : OPEN_SCOPE,
    kind: job.kind,
    model: { id: dto.model_id ?? null, taskType: dto.task_type ?? null, requirements: dto.requirements ?? null, fallback: dto.fallback ?? true },
    input: job.prompt ?? job.messages,
    params: {
      temperature: job.temperature,
      max_tokens: dto.max_tokens,
      sampling: job.sampling,
      n: job.choices,
      response_format: job.responseFormat,
      tools: job.tools,
      tool_choice: job.toolChoice,
    },
    native: job.native ? { protocol: job.native.protocol, body: { ...job.native.body, stream: undefined }, headers: job.native.headers } : null,
  };
}

/**
 * Watches a request that may be cached as it runs: the pieces of its stream as they went out,
 * the hints its provider did not get, and whether the provider's own body or events went to the
 * caller (a forwarded answer is not the gateway's to replay: it is not stored).
 */
export class AnswerCapture {
  private readonly replay: ReplayEvent[] = [];
  private ignoredParams: string[] = [];
  private forwarded = false;

  wrap(control: RunControl): RunControl {
    const { onDelta, onToolCallDelta, onNativeEvent, onNativeBody, onIgnoredParams } = control;
    return {
      ...control,
      onDelta:
        onDelta &&
        ((content) => {
          this.replay.push({ delta: content });
          onDelta(content);
        }),
      onToolCallDelta:
        onToolCallDelta &&
        ((delta) => {
          this.replay.push({ tool_call: delta });
          onToolCallDelta(delta);
        }),
      onNativeEvent:
        onNativeEvent &&
        ((event) => {
          this.forwarded = true;
          onNativeEvent(event);
        }),
      onNativeBody:
        onNativeBody &&
        ((body) => {
          this.forwarded = true;
          onNativeBody(body);
        }),
      onIgnoredParams: (names) => {
        this.ignoredParams = names;
        onIgnoredParams?.(names);
      },
    };
  }

  /** The entry to store for the answer, or null when it must not be: cancelled midway, or forwarded. */
  entryFor(view: CompletionView, streamed: boolean): CachedAnswer | null {
    if (this.forwarded || view.metadata.finish_reason === 'cancelled') return null;
    return { view, replay: streamed ? this.replay : replayOf(view), ignoredParams: this.ignoredParams };
  }
}

/** An answer that was not streamed, as a stream: its content as one piece, then each tool call whole. */
function replayOf(view: CompletionView): ReplayEvent[] {
  const calls = (view.tool_calls ?? []).map(
    (call, index): ReplayEvent => ({ tool_call: { index, id: call.id, name: call.function.name, arguments: call.function.arguments } }),
  );
  return [...(view.content === '' ? [] : [{ delta: view.content }]), ...calls];
}
