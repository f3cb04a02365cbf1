import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { Sql } from '../database/sql';
import { InjectConfig } from '../config/config.module';
import { EventName, OutgoingEvent } from '../events/event-contracts';
import { OutboxRelay } from '../events/outbox-relay.service';
import { OutboxRepository } from '../events/outbox.repository';
import { MetricsService } from '../metrics/metrics.service';
import { RequestTimer } from '../metrics/request-timer';
import { automaticQuality } from '../performance/automatic-signal';
import { NewObservation } from '../performance/performance.repository';
import { PerformanceService } from '../performance/performance.service';
import { estimateCost } from '../providers/cost';
import { ProviderError, ProviderErrorCode } from '../providers/provider-error';
import { FailedAttempt, failedAttempt, failureOf, fallbackFollowed } from '../providers/provider-failure';
import { ChatMessage, GenerationResult, ProviderUsage } from '../providers/provider.types';
import { ProvidersService } from '../providers/providers.service';
import { JobName, QueueName } from '../queue/queue.module';
import { defaultTemperature } from '../routing/ranking';
import { PlannedCandidate, RoutingService } from '../routing/routing.service';
import { ChatRequestDto, CompletionRequestDto, InferenceRequestDto } from './dto/inference-request.dto';
import { CompletionView } from './dto/completion.view';
import { QueuedView, RequestStatusView } from './dto/request-status.view';
import { RequestKind, RequestStatus } from './inference-request.entity';
import { InFlightRegistry } from './in-flight.registry';
import { InferenceRepository } from './inference.repository';
import { assertPromptSize, messagesWithContext, promptTextOf, promptWithContext } from './prompt';

export const DEFAULT_TASK_TYPE = 'general';

/** How the caller takes part in one request. */
export interface RunControl {
  requestId: string;
  /** Aborts the provider call (client gone, or a cancel command). */
  signal: AbortSignal;
  /** Streams content deltas as they arrive; without it the provider is called without streaming. */
  onDelta?: (content: string) => void;
  /** Called once the request is accepted and recorded, before any provider call. */
  onStart?: () => void;
}

/** Tries of an asynchronous request whose candidates all fail with retryable errors. */
const ASYNC_ATTEMPTS = 3;
/** First backoff between those tries; it doubles each time. */
const ASYNC_RETRY_DELAY_MS = 1000;

/** A request as it waits in the queue: which endpoint it came through and its validated body. */
export type QueuedRequest = { kind: 'completion'; dto: CompletionRequestDto } | { kind: 'chat'; dto: ChatRequestDto };

export interface QueuedJob {
  requestId: string;
  request: QueuedRequest;
}

/** A request reduced to what the lifecycle needs, whichever endpoint it came through. */
interface Job {
  kind: RequestKind;
  dto: InferenceRequestDto;
  taskType: string;
  /** Chat messages with context folded in; a completion served by a chat model uses these too. */
  messages: ChatMessage[];
  /** The completion prompt with context, for models with the completion capability. */
  prompt: string | null;
  promptText: string;
  temperature: number | undefined;
  /** Times the request and its provider calls, for metrics. */
  timer: RequestTimer;
}

/** A finished provider call, or a cancelled one with what it produced before the cancel. */
interface Answer {
  candidate: PlannedCandidate;
  result: GenerationResult;
}

/**
 * The request lifecycle (DESIGN 'Request lifecycle'): route, record the request as running, call
 * candidates in order (only retryable errors move on), then write the outcome and its events in
 * one transaction, and answer with the SPEC body.
 */
@Injectable()
export class InferenceService {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly routing: RoutingService,
    private readonly providers: ProvidersService,
    private readonly sql: Sql,
    private readonly requests: InferenceRepository,
    private readonly outbox: OutboxRepository,
    private readonly relay: OutboxRelay,
    private readonly performance: PerformanceService,
    private readonly inFlight: InFlightRegistry,
    private readonly metrics: MetricsService,
    @InjectQueue(QueueName.Inference) private readonly queue: Queue<QueuedJob>,
    private readonly clock: Clock,
  ) {}

  completion(dto: CompletionRequestDto, control: RunControl): Promise<CompletionView> {
    return this.run(this.jobFor({ kind: 'completion', dto }), control);
  }

  chat(dto: ChatRequestDto, control: RunControl): Promise<CompletionView> {
    return this.run(this.jobFor({ kind: 'chat', dto }), control);
  }

  /**
   * Accepts a request to run later on any instance's worker (202). Routing is checked now, so a
   * request no model can serve is refused at once rather than failing in the queue.
   */
  async enqueue(request: QueuedRequest, requestId: string): Promise<QueuedView> {
    const job = this.jobFor(request);
    await this.plan(job);
    const createdAt = this.clock.now();
    await this.requests.insert(this.rowOf(job, requestId, createdAt), 'queued');
    await this.queue.add(
      JobName.Infer,
      { requestId, request },
      { jobId: requestId, attempts: ASYNC_ATTEMPTS, backoff: { type: 'exponential', delay: ASYNC_RETRY_DELAY_MS }, removeOnComplete: 1000, removeOnFail: 1000 },
    );
    return { completion_id: requestId, status: 'queued', created_at: createdAt.toISOString() };
  }

  /**
   * Runs a queued request (from the worker). Does nothing when it was cancelled while queued;
   * its outcome, failures included, is recorded like any other request's. When every candidate
   * failed with retryable errors and `mayRetry`, the request goes back to `queued` and the job
   * fails, so BullMQ tries it again after a backoff.
   */
  async runQueued(requestId: string, request: QueuedRequest, mayRetry: boolean): Promise<void> {
    const job = this.jobFor(request);
    // Registered before the claim, so a cancel that sees the request running always reaches it.
    const signal = this.inFlight.start(requestId, new AbortController().signal);
    try {
      const row = await this.requests.findById(requestId);
      if (!row || !(await this.requests.claimQueued(requestId, 'running'))) return;
      const started = this.clock.monotonicMs();
      const candidates = await this.plan(job).catch(async (error: unknown) => {
        if (error instanceof DomainError) await this.reject(job, requestId, error, started);
        throw error;
      });
      await this.callCandidates(job, { requestId, signal }, candidates, row.createdAt, started);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // Every candidate was unavailable for now: worth another try later, unless out of tries.
      if (mayRetry && error.code === ErrorCode.NoModelAvailable && Array.isArray(error.details.attempts)) {
        await this.requests.requeue(requestId);
        throw new Error(`Request ${requestId}: every candidate failed, retrying later`);
      }
      // Otherwise the failure is recorded: an outcome, not a job failure.
    } finally {
      this.inFlight.finish(requestId);
    }
  }

  /** Where a request stands: 404 when unknown. */
  async status(requestId: string): Promise<RequestStatusView> {
    const row = await this.requests.findById(requestId);
    if (!row) throw new DomainError(ErrorCode.NotFound, `Unknown request_id "${requestId}"`, { request_id: requestId });
    return {
      completion_id: row.id,
      status: row.status,
      created_at: row.createdAt.toISOString(),
      completed_at: row.completedAt?.toISOString() ?? null,
      result: row.response,
      error: row.error,
    };
  }

  /** Cancels a request still waiting in the queue: recorded as cancelled, never sent to a provider. False when it has left the queue. */
  async cancelQueued(requestId: string): Promise<boolean> {
    const row = await this.requests.findById(requestId);
    if (!row) return false;
    const claimed = await this.dataSource.transaction(async (manager) => {
      if (!(await this.requests.claimQueued(requestId, 'cancelled', manager))) return false;
      await this.requests.finalize(manager, {
        id: requestId,
        status: 'cancelled',
        modelId: null,
        provider: null,
        attempts: [],
        promptTokens: null,
        completionTokens: null,
        totalTokens: null,
        cost: null,
        latencyMs: null,
        finishReason: 'cancelled',
        error: null,
        response: null,
        completedAt: this.clock.now(),
      });
      const error = { code: ProviderErrorCode.Cancelled, message: 'Request was cancelled before it started', details: {} };
      await this.outbox.add(manager, [failedEvent(requestId, row.requestedModelId ?? '', error, false, false)]);
      return true;
    });
    if (claimed) {
      this.metrics.requestRecorded({ taskType: row.taskType, status: 'cancelled', model: null, attempts: [], usage: null, cost: null, timer: null });
      this.relay.kick();
      await this.queue.remove(requestId).catch(() => undefined);
    }
    return claimed;
  }

  /**
   * The finished request feedback is about, locked for the caller's transaction: 404 when
   * unknown, 409 while it is still running (it has no outcome to judge yet).
   */
  async requestForFeedback(manager: EntityManager, requestId: string): Promise<{ id: string; modelId: string; taskType: string }> {
    const request = await this.requests.lock(manager, requestId);
    if (!request) throw new DomainError(ErrorCode.NotFound, `Unknown request_id "${requestId}"`, { request_id: requestId });
    if (request.status === 'running' || request.modelId === null) {
      throw new DomainError(ErrorCode.Conflict, `Request "${requestId}" is still running`, { request_id: requestId });
    }
    return { id: request.id, modelId: request.modelId, taskType: request.taskType };
  }

  private jobFor(request: QueuedRequest): Job {
    if (request.kind === 'chat') return this.job('chat', request.dto, messagesWithContext(request.dto.messages, request.dto.context), null);
    const prompt = promptWithContext(request.dto.prompt, request.dto.context);
    return this.job('completion', request.dto, [{ role: 'user', content: prompt }], prompt);
  }

  private rowOf(job: Job, requestId: string, createdAt: Date) {
    return {
      id: requestId,
      kind: job.kind,
      taskType: job.taskType,
      requestedModelId: job.dto.model_id ?? null,
      metadata: { ...job.dto.metadata },
      createdAt,
    };
  }

  private job(kind: RequestKind, dto: InferenceRequestDto, messages: ChatMessage[], prompt: string | null): Job {
    return {
      kind,
      dto,
      taskType: dto.task_type ?? DEFAULT_TASK_TYPE,
      messages,
      prompt,
      promptText: prompt ?? promptTextOf(messages),
      temperature: dto.temperature ?? defaultTemperature(dto.requirements?.creativity, dto.requirements?.reliability),
      timer: this.metrics.startTimer(),
    };
  }

  private async run(job: Job, control: RunControl): Promise<CompletionView> {
    const candidates = await this.plan(job);
    const createdAt = this.clock.now();
    const started = this.clock.monotonicMs();
    // Registered before the row exists, so a cancel that follows the row's creation always finds it.
    const signal = this.inFlight.start(control.requestId, control.signal);
    try {
      await this.requests.insert(this.rowOf(job, control.requestId, createdAt), 'running');
      control.onStart?.();
      return await this.callCandidates(job, { ...control, signal }, candidates, createdAt, started);
    } finally {
      this.inFlight.finish(control.requestId);
    }
  }

  private async plan(job: Job): Promise<PlannedCandidate[]> {
    assertPromptSize(job.kind === 'chat' ? 'messages' : 'prompt', job.promptText, this.config.maxPromptChars);
    return await this.routing.plan({
      modelId: job.dto.model_id,
      fallback: job.dto.fallback ?? true,
      taskType: job.taskType,
      promptText: job.promptText,
      needs: {
        anyOf: job.kind === 'chat' ? ['chat'] : ['completion', 'chat'],
        allOf: job.dto.requirements?.capabilities ?? [],
        promptTokensAtMost: Buffer.byteLength(job.promptText, 'utf8'),
        maxTokens: job.dto.max_tokens,
        minQuality: job.dto.requirements?.min_quality_score,
        reliability: job.dto.requirements?.reliability,
        maxCostPer1k: job.dto.requirements?.max_cost_per_1k,
      },
    });
  }

  private async callCandidates(
    job: Job,
    control: RunControl,
    candidates: PlannedCandidate[],
    createdAt: Date,
    started: number,
  ): Promise<CompletionView> {
    const attempts: FailedAttempt[] = [];
    for (const candidate of candidates) {
      const streamed = { content: '' };
      try {
        const result = await job.timer.providerCall(() => this.call(candidate, job, control, streamed));
        this.routing.recordCallOutcome(candidate.model.id, null);
        return await this.finish(job, control, { candidate, result }, attempts, createdAt, started);
      } catch (error) {
        const attempt = failedAttempt(candidate.model, error);
        if (attempt.error.code === ProviderErrorCode.Cancelled) {
          const partial = cancelledResult(streamed.content);
          return await this.finish(job, control, { candidate, result: partial }, attempts, createdAt, started);
        }
        attempts.push(attempt);
        this.routing.recordCallOutcome(candidate.model.id, attempt.error);
        // Once content has reached the caller, another model's answer cannot replace it.
        if (!attempt.error.retryable || streamed.content.length > 0) break;
      }
    }
    throw await this.fail(job, control, attempts, started);
  }

  private async call(candidate: PlannedCandidate, job: Job, control: RunControl, streamed: { content: string }): Promise<GenerationResult> {
    const adapter = this.providers.adapter(candidate.model.provider);
    const params = {
      signal: control.signal,
      timeoutMs: this.config.providers.timeoutMs,
      maxTokens: job.dto.max_tokens,
      temperature: job.temperature,
    };
    // A prompt goes to a completion endpoint where the model has one; a chat model reads it as one user message.
    const asCompletion = job.prompt !== null && candidate.model.capabilities.includes('completion');
    if (!control.onDelta) {
      return asCompletion
        ? adapter.complete(candidate.target, { ...params, prompt: job.prompt! })
        : adapter.chat(candidate.target, { ...params, messages: job.messages });
    }
    const stream = asCompletion
      ? adapter.streamComplete(candidate.target, { ...params, prompt: job.prompt! })
      : adapter.streamChat(candidate.target, { ...params, messages: job.messages });
    for await (const chunk of stream) {
      if (chunk.type === 'done') return chunk.result;
      streamed.content += chunk.content;
      control.onDelta(chunk.content);
    }
    throw new ProviderError(ProviderErrorCode.Unknown, 'Provider stream ended without a final result');
  }

  private async finish(
    job: Job,
    control: RunControl,
    answer: Answer,
    attempts: FailedAttempt[],
    createdAt: Date,
    started: number,
  ): Promise<CompletionView> {
    const { candidate, result } = answer;
    const { model, scores } = candidate;
    const usage = await this.usageOf(candidate, job, result);
    const cost = estimateCost({ input: model.priceInput, output: model.priceOutput }, usage);
    const latencyMs = Math.round(this.clock.monotonicMs() - started);
    const cancelled = result.finishReason === 'cancelled';

    const view: CompletionView = {
      completion_id: control.requestId,
      created_at: createdAt.toISOString(),
      model: { id: model.id, provider: model.provider },
      content: result.content,
      usage: {
        prompt_tokens: usage.prompt,
        completion_tokens: usage.completion,
        total_tokens: usage.prompt + usage.completion,
        estimated_cost: cost,
      },
      performance: { quality_score: scores.quality, success_rate: scores.successRate, confidence: result.confidence },
      metadata: {
        finish_reason: result.finishReason,
        model_specific: result.modelSpecific,
        task_type: job.taskType,
        ...(attempts.length > 0 && { failed_attempts: attempts }),
      },
    };

    const events = attemptEvents(control.requestId, attempts, { answered: true, succeeded: !cancelled });
    if (cancelled) {
      const error = { code: ProviderErrorCode.Cancelled, message: 'Request was cancelled', details: {} };
      events.push(failedEvent(control.requestId, model.id, error, false, false));
    } else {
      events.push({
        name: EventName.RequestCompleted,
        payload: {
          request_id: control.requestId,
          model_id: model.id,
          ...job.dto.metadata,
          task_type: job.taskType,
          timestamp: this.clock.now().toISOString(),
          metrics: {
            latency_ms: latencyMs,
            tokens: { prompt: usage.prompt, completion: usage.completion, total: usage.prompt + usage.completion },
            cost,
            performance: { quality_score: scores.quality, confidence: result.confidence },
          },
        },
      });
    }

    const observations = this.failureObservations(job, control.requestId, attempts);
    if (!cancelled) observations.push(this.observation(job, control.requestId, model.id, true, automaticQuality(result.content, result.finishReason)));
    await this.record(control.requestId, cancelled ? 'cancelled' : 'completed', {
      observations,
      modelId: model.id,
      provider: model.provider,
      attempts,
      usage,
      cost,
      latencyMs,
      finishReason: result.finishReason,
      error: null,
      response: view,
      events,
    });
    const status = cancelled ? 'cancelled' : 'completed';
    this.metrics.requestRecorded({ taskType: job.taskType, status, model, attempts, usage, cost, timer: job.timer });
    return view;
  }

  /** Records a queued request that routing refused by the time it ran (a model went away, say). */
  private async reject(job: Job, requestId: string, error: DomainError, started: number): Promise<void> {
    error.details.request_id = requestId;
    const body = error.toBody().error;
    await this.record(requestId, 'failed', {
      observations: [],
      modelId: null,
      provider: null,
      attempts: [],
      usage: null,
      cost: null,
      latencyMs: Math.round(this.clock.monotonicMs() - started),
      finishReason: null,
      error: body,
      response: null,
      events: [failedEvent(requestId, job.dto.model_id ?? '', body, false, false)],
    });
    this.metrics.requestRecorded({ taskType: job.taskType, status: 'failed', model: null, attempts: [], usage: null, cost: null, timer: job.timer });
  }

  /** Records a request that no candidate answered and returns the error to answer with. */
  private async fail(job: Job, control: RunControl, attempts: FailedAttempt[], started: number): Promise<DomainError> {
    const failure = failureOf(attempts);
    failure.details.request_id = control.requestId;
    const last = attempts[attempts.length - 1];
    await this.record(control.requestId, 'failed', {
      observations: this.failureObservations(job, control.requestId, attempts),
      modelId: last.model_id,
      provider: last.provider,
      attempts,
      usage: null,
      cost: null,
      latencyMs: Math.round(this.clock.monotonicMs() - started),
      finishReason: null,
      error: failure.toBody().error,
      response: null,
      events: attemptEvents(control.requestId, attempts, { answered: false, succeeded: false }),
    });
    const lastTried = { id: last.model_id, provider: last.provider };
    this.metrics.requestRecorded({ taskType: job.taskType, status: 'failed', model: lastTried, attempts, usage: null, cost: null, timer: job.timer });
    return failure;
  }

  private async record(
    requestId: string,
    status: RequestStatus,
    outcome: {
      observations: NewObservation[];
      modelId: string | null;
      provider: string | null;
      attempts: FailedAttempt[];
      usage: { prompt: number; completion: number } | null;
      cost: number | null;
      latencyMs: number;
      finishReason: string | null;
      error: { code: string; message: string; details: Record<string, unknown> } | null;
      response: CompletionView | null;
      events: OutgoingEvent[];
    },
  ): Promise<void> {
    await this.sql.atomically([
      this.requests.finalizeStep({
        id: requestId,
        status,
        modelId: outcome.modelId,
        provider: outcome.provider,
        attempts: outcome.attempts,
        promptTokens: outcome.usage?.prompt ?? null,
        completionTokens: outcome.usage?.completion ?? null,
        totalTokens: outcome.usage ? outcome.usage.prompt + outcome.usage.completion : null,
        cost: outcome.cost,
        latencyMs: outcome.latencyMs,
        finishReason: outcome.finishReason,
        error: outcome.error,
        response: outcome.response,
        completedAt: this.clock.now(),
      }),
      this.outbox.addStep(outcome.events),
      this.performance.observationsStep(outcome.observations),
    ]);
    this.relay.kick();
    if (outcome.observations.length > 0) this.performance.foldSoon();
  }

  /** Each failed provider call counts against its model, with no quality signal. */
  private failureObservations(job: Job, requestId: string, attempts: FailedAttempt[]): NewObservation[] {
    return attempts.map((attempt) => this.observation(job, requestId, attempt.model_id, false, null));
  }

  private observation(job: Job, requestId: string, modelId: string, success: boolean, quality: number | null): NewObservation {
    return { modelId, taskType: job.taskType, source: 'automatic', requestId, success, quality, weight: 1, observedAt: this.clock.now() };
  }

  /** Provider-reported counts; where a provider reports none (or the call was cancelled), counted with the model's tokenizer. */
  private async usageOf(candidate: PlannedCandidate, job: Job, result: GenerationResult): Promise<{ prompt: number; completion: number }> {
    const count = (text: string) => this.providers.countTokens(candidate.model, candidate.target, text);
    const reported: ProviderUsage = result.usage;
    return {
      prompt: reported.promptTokens ?? (await count(job.promptText)),
      completion: reported.completionTokens ?? (await count(result.content)),
    };
  }
}

function cancelledResult(partialContent: string): GenerationResult {
  return {
    content: partialContent,
    finishReason: 'cancelled',
    usage: { promptTokens: null, completionTokens: null },
    confidence: null,
    modelSpecific: {},
  };
}

/**
 * One `model.request.failed` per failed call; each says whether another model was tried after it
 * (`answered`: a later candidate produced the outcome) and whether the request then succeeded.
 */
function attemptEvents(
  requestId: string,
  attempts: FailedAttempt[],
  { answered, succeeded }: { answered: boolean; succeeded: boolean },
): OutgoingEvent[] {
  return attempts.map((attempt, index) => {
    const fallbackAttempted = fallbackFollowed(index, attempts, answered);
    return failedEvent(
      requestId,
      attempt.model_id,
      {
        code: attempt.error.code,
        message: attempt.error.message,
        details: { provider: attempt.provider, status: attempt.error.status, retryable: attempt.error.retryable, attempt: index + 1 },
      },
      fallbackAttempted,
      succeeded,
    );
  });
}

function failedEvent(
  requestId: string,
  modelId: string,
  error: { code: string; message: string; details: Record<string, unknown> },
  fallbackAttempted: boolean,
  fallbackSucceeded: boolean,
): OutgoingEvent {
  return {
    name: EventName.RequestFailed,
    payload: { request_id: requestId, model_id: modelId, error, fallback_attempted: fallbackAttempted, fallback_succeeded: fallbackSucceeded },
  };
}
