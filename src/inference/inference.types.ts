import type { Caller } from '../access/client-key';
import type { RequestTimer } from '../metrics/request-timer';
import type { AnswerParams } from '../providers/generation-params';
import type { ChatMessage, ResponseFormat, ToolCallDelta, SamplingParams, ToolChoice, ToolDefinition } from '../providers/provider.types';
import type { AnswerCheck } from './answer-check';
import type { ChatRequestDto, CompletionRequestDto, InferenceRequestDto } from './dto/inference-request.dto';
import type { RequestKind } from './inference-request';

/** How the caller takes part in one request. */
export interface RunControl {
  requestId: string;
  /** Who sent it: the request belongs to their key, within its permissions and limits. */
  caller: Caller;
  /** Aborts the provider call (client gone, or a cancel command). */
  signal: AbortSignal;
  /** Streams content deltas as they arrive; without it the provider is called without streaming. */
  onDelta?: (content: string) => void;
  /** Streams tool-call pieces as they arrive (OpenAI's delta form); only with `onDelta`. */
  onToolCallDelta?: (delta: ToolCallDelta) => void;
  /** A forwarded stream (`Job.native`): the provider's own events, instead of `onDelta`. */
  onNativeEvent?: (event: { type: string }) => void;
  /** A forwarded request answered without streaming: the provider's own body, before the outcome is recorded. */
  onNativeBody?: (body: unknown) => void;
  /** The kind learned from the prompt of a request without task type, once it is known (before `onStart`). */
  onInferredTask?: (task: string) => void;
  /** Whether the response cache had the answer; only for requests that use the cache, before `onStart`. */
  onCacheResult?: (result: 'hit' | 'miss') => void;
  /** Called once the request is accepted and recorded, before any provider call. */
  onStart?: () => void;
  /**
   * The hints a provider will not get (sorted request field names): before `onStart` for every
   * candidate together, then before each provider call for that call's model.
   */
  onIgnoredParams?: (names: string[]) => void;
}

/** A request as it waits in the queue: which endpoint it came through and its validated body. */
export type QueuedRequest = { kind: 'completion'; dto: CompletionRequestDto } | { kind: 'chat'; dto: ChatRequestDto; native?: NativeRequest };

export interface QueuedJob {
  requestId: string;
  request: QueuedRequest;
}

/** A request reduced to what the lifecycle needs, whichever endpoint it came through. */
export interface Job {
  kind: RequestKind;
  dto: InferenceRequestDto;
  taskType: string;
  /** The kind learned from the prompt of a request without task type, once accepted (`InferenceService.accept`); else null. */
  inferredTask: string | null;
  /** Chat messages with context folded in; a completion served by a chat model uses these too. */
  messages: ChatMessage[];
  /** The completion prompt with context, for models with the completion capability. */
  prompt: string | null;
  promptText: string;
  temperature: number | undefined;
  /** `stop`, `top_p` and the hints, as adapters take them. */
  sampling: SamplingParams;
  tools: ToolDefinition[] | undefined;
  toolChoice: ToolChoice | undefined;
  responseFormat: ResponseFormat | undefined;
  /** The gateway's check of the answer's form (`response_format`); null when any text will do. */
  answerCheck: AnswerCheck | null;
  /** Capabilities the request's content needs (`function_calling` for tools, `vision` for images), besides those it asks for. */
  capabilities: string[];
  /** What the request asks that changes the answer, for the router's eligibility check. */
  answerParams: AnswerParams;
  /** Choices to generate (`n`, chat only); 1 for completions. */
  choices: number;
  /** The request in a provider's own wire format, forwarded unchanged to models that speak it (`/v1/messages`). */
  native?: NativeRequest;
  /** Times the request and its provider calls, for metrics. */
  timer: RequestTimer;
}

export interface NativeRequest {
  protocol: 'anthropic';
  body: Record<string, unknown>;
  /** The client's protocol headers the provider reads (`anthropic-beta`). */
  headers: Record<string, string>;
  /** Fields of the body that only that protocol takes: named in `X-Ignored-Params` when another kind of model answers. */
  nativeOnly: string[];
}
