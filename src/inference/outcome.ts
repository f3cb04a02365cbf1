import { DomainError, ErrorBody } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { EventName, OutgoingEvent } from '../events/event-contracts';
import { automaticQuality } from '../performance/automatic-signal';
import { NewObservation } from '../performance/performance.repository';
import { ProviderErrorCode } from '../providers/provider-error';
import { FailedAttempt, failureOf, fallbackFollowed } from '../providers/provider-failure';
import { Alternative, GenerationResult, ToolCall } from '../providers/provider.types';
import { ModelScores } from '../performance/scoring';
import { AlternativeView, CompletionView, ToolCallView } from './dto/completion.view';
import { RequestMetadata } from './inference-request';

/**
 * How a request ends, as pure data: the row's final state, the events and the automatic
 * observations that are written with it in one statement (see `OutcomeRecorder`). Every way a
 * request can end has its builder here: answered (completed or cancelled), failed, refused by
 * routing when a queued request finally ran, cancelled while queued, and interrupted (its
 * instance died, or its outcome could not be recorded).
 */

export interface Usage {
  /** Every input token, cached ones included. */
  prompt: number;
  completion: number;
  /** Input tokens read from the provider's prompt cache, where it reported them. */
  cached?: number;
  /** Input tokens written to the provider's prompt cache, where it reported them. */
  cacheWrite?: number;
}

/** What is known of a request however it ends. */
export interface RequestFacts {
  requestId: string;
  taskType: string;
  /** The kind the request was routed as when it named no task type: its observations count there. */
  inferredTask: string | null;
  requestedModelId: string | null;
  metadata: RequestMetadata;
}

export interface Outcome {
  status: 'completed' | 'failed' | 'cancelled';
  /** The model that answered, else the last one tried; null when no provider was called. */
  model: { id: string; provider: string } | null;
  /** Failed provider calls before the outcome, in order. */
  attempts: FailedAttempt[];
  usage: Usage | null;
  cost: number | null;
  latencyMs: number | null;
  finishReason: string | null;
  error: ErrorBody['error'] | null;
  /** The body the caller received, kept for later reads of the request. */
  response: CompletionView | null;
  events: OutgoingEvent[];
  observations: NewObservation[];
  /** Answered from the response cache (`cachedOutcome`); absent otherwise. */
  cached?: true;
}

/** A provider call that produced the request's answer (or, cancelled, what it produced until then). */
export interface Answer {
  model: { id: string; provider: string };
  /** The model's scores for the task type before this request: what the response reports. */
  scores: ModelScores;
  result: GenerationResult;
  usage: Usage;
  cost: number;
}

export interface Timing {
  createdAt: Date;
  latencyMs: number;
  now: Date;
}

/** A request a model answered (finish reason `cancelled` when it was cancelled midway). */
export function answeredOutcome(facts: RequestFacts, answer: Answer, attempts: FailedAttempt[], timing: Timing): Outcome & { response: CompletionView } {
  const { model, scores, result, usage, cost } = answer;
  const cancelled = result.finishReason === 'cancelled';
  const response: CompletionView = {
    completion_id: facts.requestId,
    created_at: timing.createdAt.toISOString(),
    model: { id: model.id, provider: model.provider },
    content: result.content,
    ...(result.toolCalls.length > 0 && { tool_calls: result.toolCalls.map(toolCallView) }),
    ...(result.alternatives && { alternatives: result.alternatives.map(alternativeView) }),
    usage: {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
      ...(usage.cached !== undefined && { cached_tokens: usage.cached }),
      ...(usage.cacheWrite !== undefined && { cache_write_tokens: usage.cacheWrite }),
      estimated_cost: cost,
    },
    performance: { quality_score: scores.quality, success_rate: scores.successRate, confidence: result.confidence },
    metadata: {
      finish_reason: result.finishReason,
      model_specific: result.modelSpecific,
      task_type: facts.taskType,
      ...(attempts.length > 0 && { failed_attempts: attempts }),
    },
    ...(facts.inferredTask !== null && { routing: { inferred_task: facts.inferredTask } }),
  };

  const events = attemptEvents(facts.requestId, attempts, { answered: true, succeeded: !cancelled });
  const observations = attempts.map((attempt) => observation(facts, attempt.model_id, false, null, timing.now));
  if (cancelled) {
    events.push(failedEvent(facts.requestId, model.id, { code: ProviderErrorCode.Cancelled, message: 'Request was cancelled', details: {} }));
  } else {
    events.push(completedEvent(facts, response, usage, timing));
    observations.push(observation(facts, model.id, true, automaticQuality(result.content, result.finishReason), timing.now));
  }
  return {
    status: cancelled ? 'cancelled' : 'completed',
    model,
    attempts,
    usage,
    cost,
    latencyMs: timing.latencyMs,
    finishReason: result.finishReason,
    error: null,
    response,
    events,
    observations,
  };
}

/**
 * A request answered from the response cache: the cached body under this request's id and time,
 * at no cost (no provider was called), without the fallback trail of the request that produced
 * it. It is published as completed like any other, and is no observation of the model.
 */
export function cachedOutcome(facts: RequestFacts, cached: CompletionView, timing: Timing): Outcome & { response: CompletionView } {
  const { failed_attempts: _trail, ...metadata } = cached.metadata;
  const response: CompletionView = {
    ...cached,
    completion_id: facts.requestId,
    created_at: timing.createdAt.toISOString(),
    usage: { ...cached.usage, estimated_cost: 0 },
    metadata,
    cached: true,
  };
  const usage = { prompt: cached.usage.prompt_tokens, completion: cached.usage.completion_tokens };
  return {
    status: 'completed',
    model: cached.model,
    attempts: [],
    usage,
    cost: 0,
    latencyMs: timing.latencyMs,
    finishReason: cached.metadata.finish_reason,
    error: null,
    response,
    events: [completedEvent(facts, response, usage, timing)],
    observations: [],
    cached: true,
  };
}

function completedEvent(facts: RequestFacts, response: CompletionView, usage: Usage, timing: Timing): OutgoingEvent {
  return {
    name: EventName.RequestCompleted,
    payload: {
      request_id: facts.requestId,
      model_id: response.model.id,
      ...facts.metadata,
      task_type: facts.taskType,
      timestamp: timing.now.toISOString(),
      metrics: {
        latency_ms: timing.latencyMs,
        tokens: { prompt: usage.prompt, completion: usage.completion, total: usage.prompt + usage.completion },
        cost: response.usage.estimated_cost,
        performance: { quality_score: response.performance.quality_score, confidence: response.performance.confidence },
      },
    },
  };
}

function alternativeView(choice: Alternative): AlternativeView {
  return {
    content: choice.content,
    ...(choice.toolCalls.length > 0 && { tool_calls: choice.toolCalls.map(toolCallView) }),
    finish_reason: choice.finishReason,
  };
}

function toolCallView(call: ToolCall): ToolCallView {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

/** A request no candidate answered: the outcome, and the error the caller gets (502 or 503, with the attempts). */
export function failedOutcome(facts: RequestFacts, attempts: FailedAttempt[], latencyMs: number, now: Date): { outcome: Outcome; error: DomainError } {
  const error = failureOf(attempts);
  error.details.request_id = facts.requestId;
  const last = attempts[attempts.length - 1];
  return {
    error,
    outcome: {
      ...nothingAnswered('failed', error.toBody().error, latencyMs),
      model: last ? { id: last.model_id, provider: last.provider } : null,
      attempts,
      events: attemptEvents(facts.requestId, attempts, { answered: false, succeeded: false }),
      observations: attempts.map((attempt) => observation(facts, attempt.model_id, false, null, now)),
    },
  };
}

/** A queued request that routing refused by the time it ran (its model went away, say). */
export function rejectedOutcome(facts: RequestFacts, error: DomainError, latencyMs: number): Outcome {
  error.details.request_id = facts.requestId;
  const body = error.toBody().error;
  return { ...nothingAnswered('failed', body, latencyMs), events: [failedEvent(facts.requestId, facts.requestedModelId ?? '', body)] };
}

/** A queued request cancelled before it ran: never sent to a provider. */
export function cancelledWhileQueuedOutcome(facts: RequestFacts): Outcome {
  const error = { code: ProviderErrorCode.Cancelled, message: 'Request was cancelled before it started', details: {} };
  return { ...nothingAnswered('cancelled', null, null), finishReason: 'cancelled', events: [failedEvent(facts.requestId, facts.requestedModelId ?? '', error)] };
}

/**
 * A request whose outcome its instance never recorded: the instance died (its lease ran out), the
 * queue lost its job, or the database stayed out of reach past the request's deadline.
 */
export function interruptedOutcome(facts: RequestFacts, reason: string, instanceId: string | null): Outcome {
  const error = new DomainError(ErrorCode.Interrupted, `Request was interrupted: ${reason}`, { request_id: facts.requestId, instance_id: instanceId });
  const body = error.toBody().error;
  return { ...nothingAnswered('failed', body, null), events: [failedEvent(facts.requestId, facts.requestedModelId ?? '', body)] };
}

function nothingAnswered(status: Outcome['status'], error: Outcome['error'], latencyMs: number | null): Omit<Outcome, 'events'> {
  return { status, model: null, attempts: [], usage: null, cost: null, latencyMs, finishReason: null, error, response: null, observations: [] };
}

/** A failed provider call counts against its model, with no quality signal; an answer counts for it. */
function observation(facts: RequestFacts, modelId: string, success: boolean, quality: number | null, now: Date): NewObservation {
  return { modelId, taskType: facts.inferredTask ?? facts.taskType, source: 'automatic', requestId: facts.requestId, success, quality, weight: 1, observedAt: now };
}

/**
 * One `model.request.failed` per failed call; each says whether another model was tried after it
 * (`answered`: a later candidate produced the outcome) and whether the request then succeeded.
 */
function attemptEvents(requestId: string, attempts: FailedAttempt[], { answered, succeeded }: { answered: boolean; succeeded: boolean }): OutgoingEvent[] {
  return attempts.map((attempt, index) =>
    failedEvent(
      requestId,
      attempt.model_id,
      {
        code: attempt.error.code,
        message: attempt.error.message,
        details: { provider: attempt.provider, status: attempt.error.status, retryable: attempt.error.retryable, attempt: index + 1 },
      },
      { attempted: fallbackFollowed(index, attempts, answered), succeeded },
    ),
  );
}

function failedEvent(
  requestId: string,
  modelId: string,
  error: { code: string; message: string; details: Record<string, unknown> },
  fallback = { attempted: false, succeeded: false },
): OutgoingEvent {
  return {
    name: EventName.RequestFailed,
    payload: { request_id: requestId, model_id: modelId, error, fallback_attempted: fallback.attempted, fallback_succeeded: fallback.succeeded },
  };
}
