import { Injectable, Logger } from '@nestjs/common';
import { Caller, keyNameOf } from '../access/client-key';
import { LimitsService } from '../access/limits/limits.service';
import { assertMayUse, modelAllowed } from '../access/permissions';
import { Clock } from '../common/clock';
import { DomainError, ValidationFailed } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { InstanceLease } from '../instances/instance-lease.service';
import { MetricsService } from '../metrics/metrics.service';
import { PerformanceService } from '../performance/performance.service';
import { modelPrices } from '../models/model.entity';
import { estimateCost } from '../providers/cost';
import { endpointOf, ignoredHints } from '../providers/generation-params';
import { ProviderError, ProviderErrorCode } from '../providers/provider-error';
import { FailedAttempt, failedAttempt } from '../providers/provider-failure';
import { GenerationResult } from '../providers/provider.types';
import { ProvidersService } from '../providers/providers.service';
import { PromptKindsService } from '../routing/prompt-kinds.service';
import { PlannedCandidate, RoutingService } from '../routing/routing.service';
import { CachedAnswers } from './cached-answers.service';
import { CompletionView } from './dto/completion.view';
import { ChatRequestDto, CompletionRequestDto } from './dto/inference-request.dto';
import { InFlightRegistry } from './in-flight.registry';
import { InferenceRepository } from './inference.repository';
import { Job, NativeRequest, QueuedRequest, RunControl } from './inference.types';
import { forward, nativeFor, Streamed } from './forwarding';
import { reservationFor, usageOf } from './admission';
import { factsOf, kindTextOf, rowOf, toJob } from './job';
import { assertPromptSize } from './prompt';
import { Outcome, Usage, answeredOutcome, failedOutcome } from './outcome';
import { OutcomeRecorder } from './outcome-recorder.service';
import { callTimeout, Stop, stopBefore } from './attempt-budget';

/**
 * The request lifecycle (DESIGN 'Request lifecycle'): route, record the request as running on
 * this instance, call candidates in order (only retryable errors move on; at most MAX_ATTEMPTS
 * calls, all within REQUEST_TIMEOUT_MS), then record the outcome with its events in one statement
 * (`OutcomeRecorder`) and answer with the SPEC body. Queued requests run the same way
 * (`QueuedRequestsService`).
 */
@Injectable()
export class InferenceService {
  private readonly logger = new Logger(InferenceService.name);

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly routing: RoutingService,
    private readonly kinds: PromptKindsService,
    private readonly providers: ProvidersService,
    private readonly performance: PerformanceService,
    private readonly requests: InferenceRepository,
    private readonly recorder: OutcomeRecorder,
    private readonly inFlight: InFlightRegistry,
    private readonly lease: InstanceLease,
    private readonly metrics: MetricsService,
    private readonly limits: LimitsService,
    private readonly cached: CachedAnswers,
    private readonly clock: Clock,
  ) {}

  completion(dto: CompletionRequestDto, control: RunControl): Promise<CompletionView> {
    return this.run(this.jobFor({ kind: 'completion', dto }), control);
  }

  /** `native`: the request as it came in a provider's own protocol, forwarded unchanged to models that speak it. */
  chat(dto: ChatRequestDto, control: RunControl, native?: NativeRequest): Promise<CompletionView> {
    return this.run(this.jobFor({ kind: 'chat', dto, native }), control);
  }

  jobFor(request: QueuedRequest): Job {
    return toJob(request, this.metrics.startTimer());
  }

  /**
   * Whether a new request can be taken: its task type is tracked, or may be (MAX_TASK_TYPES), the
   * caller's key may use what it needs, and some model can serve it. Returns the candidates, in
   * order. A request without task type gets its kind here, once: it is routed as that kind, and its
   * row keeps it for a queued run and for feedback.
   */
  async accept(job: Job, caller: Caller): Promise<PlannedCandidate[]> {
    this.check(job, caller);
    if (job.dto.task_type === undefined) job.inferredTask = await this.kinds.kindOf(kindTextOf(job));
    return this.plan(job, caller);
  }

  /** What a request must pass before it is answered from the cache or routed: room for its task type, its prompt's size, its key's permissions. */
  private check(job: Job, caller: Caller): void {
    if (!this.performance.admitsTaskType(job.taskType)) {
      throw new ValidationFailed({
        task_type: [`"${job.taskType}" is new and this deployment already tracks its limit of task types (MAX_TASK_TYPES); use a known one`],
      });
    }
    assertPromptSize(job.kind === 'chat' ? 'messages' : 'prompt', job.promptText, this.config.maxPromptChars);
    assertMayUse(caller, [job.kind, ...job.capabilities, ...(job.dto.requirements?.capabilities ?? [])], job.dto.model_id);
  }

  /** The candidates, in order, among the models the caller's key may use. */
  async plan(job: Job, caller: Caller): Promise<PlannedCandidate[]> {
    assertMayUse(caller, [job.kind, ...job.capabilities, ...(job.dto.requirements?.capabilities ?? [])], job.dto.model_id);
    const candidates = (await this.planAny(job)).filter((candidate) => modelAllowed(caller, candidate.model.id));
    if (candidates.length === 0) throw new DomainError(ErrorCode.Forbidden, 'This API key may use none of the models that can serve this request');
    return candidates;
  }

  private async planAny(job: Job): Promise<PlannedCandidate[]> {
    assertPromptSize(job.kind === 'chat' ? 'messages' : 'prompt', job.promptText, this.config.maxPromptChars);
    return await this.routing.plan({
      modelId: job.dto.model_id,
      fallback: job.dto.fallback ?? true,
      taskType: job.inferredTask ?? job.taskType,
      promptText: job.promptText,
      needs: {
        anyOf: job.kind === 'chat' ? ['chat'] : ['completion', 'chat'],
        allOf: [...new Set([...(job.dto.requirements?.capabilities ?? []), ...job.capabilities])],
        promptTokensAtMost: Buffer.byteLength(job.promptText, 'utf8'),
        maxTokens: job.dto.max_tokens,
        minQuality: job.dto.requirements?.min_quality_score,
        reliability: job.dto.requirements?.reliability,
        maxCostPer1k: job.dto.requirements?.max_cost_per_1k,
        params: job.answerParams,
      },
    });
  }

  /**
   * Runs a request whose row is `running` on this instance: calls candidates until one answers,
   * then records the outcome. Throws the error to answer with when none did (the failure recorded).
   */
  async execute(job: Job, control: RunControl, candidates: PlannedCandidate[], createdAt: Date, started: number): Promise<CompletionView> {
    const deadline = started + this.config.requests.timeoutMs;
    const attempts: FailedAttempt[] = [];
    let stop: Stop | null = null;
    for (const [index, candidate] of candidates.entries()) {
      const remainingMs = deadline - this.clock.monotonicMs();
      stop = stopBefore(index, remainingMs, this.config.requests.maxAttempts);
      if (stop) break;
      const streamed: Streamed = { content: '', sent: false };
      const answer = await this.attempt(candidate, job, control, streamed, remainingMs);
      if ('result' in answer) return this.finish(job, control, candidate, answer.result, attempts, createdAt, started, deadline);
      attempts.push(answer.failure);
      // Once content has reached the caller, another model's answer cannot replace it.
      if (!answer.failure.error.retryable || streamed.sent) break;
    }
    throw await this.fail(job, control, attempts, stop, started, deadline);
  }

  /** A request that uses the response cache is answered from it when it can be, and keeps its fresh answer there otherwise. */
  private async run(job: Job, control: RunControl): Promise<CompletionView> {
    if (control.onDelta && job.choices > 1) throw new ValidationFailed({ n: ['n above 1 cannot be streamed by this gateway: ask for one choice, or for several without stream'] });
    this.check(job, control.caller);
    const plan = this.cached.planFor(job, control.caller);
    if (!plan) return this.runLive(job, control);
    const hit = await this.cached.answer(job, control, plan);
    if (hit) return hit;
    const view = await this.runLive(job, plan.capture.wrap(control));
    await this.cached.keep(plan, view, control.onDelta !== undefined);
    return view;
  }

  private async runLive(job: Job, control: RunControl): Promise<CompletionView> {
    const candidates = await this.accept(job, control.caller);
    if (job.inferredTask !== null) control.onInferredTask?.(job.inferredTask);
    const admission = await this.limits.admit(control.caller, reservationFor(job, candidates, control.requestId));
    const createdAt = this.clock.now();
    const started = this.clock.monotonicMs();
    // Registered before the row exists, so a cancel that follows the row's creation always finds it.
    const flight = this.inFlight.start(control.requestId, control.signal);
    let view: CompletionView | null = null;
    try {
      await this.requests.insert(rowOf(job, control.requestId, createdAt, control.caller), 'running', this.lease.id);
      // A stream's headers go out with its start, before the answering model is known: they name what any candidate would ignore.
      control.onIgnoredParams?.(unionOf(candidates.map((candidate) => ignoredFor(candidate, job))));
      control.onStart?.();
      view = await this.execute(job, { ...control, signal: flight.signal }, candidates, createdAt, started);
      return view;
    } finally {
      flight.finish();
      await admission.settle(usageOf(view));
    }
  }

  /** One provider call: its result (a cancelled call keeps what it produced), or how it failed. */
  private async attempt(
    candidate: PlannedCandidate,
    job: Job,
    control: RunControl,
    streamed: Streamed,
    timeoutMs: number,
  ): Promise<{ result: GenerationResult } | { failure: FailedAttempt }> {
    try {
      const result = await job.timer.providerCall(() => this.call(candidate, job, control, streamed, timeoutMs));
      // The provider answered, whatever the answer's worth: its circuit stays closed.
      this.routing.recordCallOutcome(candidate.model.id, null);
      const problem = answerProblem(job, result);
      if (problem) return { failure: failedAttempt(candidate.model, new ProviderError(ProviderErrorCode.InvalidOutput, problem)) };
      return { result };
    } catch (error) {
      const failure = failedAttempt(candidate.model, error);
      if (failure.error.code === ProviderErrorCode.Cancelled) return { result: cancelledResult(streamed.content) };
      this.routing.recordCallOutcome(candidate.model.id, failure.error);
      return { failure };
    }
  }

  private async call(
    candidate: PlannedCandidate,
    job: Job,
    control: RunControl,
    streamed: Streamed,
    timeoutMs: number,
  ): Promise<GenerationResult> {
    const adapter = this.providers.adapter(candidate.model.provider);
    const native = nativeFor(adapter, job);
    if (native) return forward(native, candidate.target, job.native!, control, streamed, callTimeout(timeoutMs, this.config.providers.timeoutMs));
    const params = {
      signal: control.signal,
      timeoutMs: callTimeout(timeoutMs, this.config.providers.timeoutMs),
      ...job.sampling,
      maxTokens: job.dto.max_tokens,
      temperature: job.temperature,
    };
    const asCompletion = servedAsCompletion(candidate, job);
    const ignored = ignoredFor(candidate, job);
    control.onIgnoredParams?.(ignored);
    if (ignored.length > 0) this.logger.log('Hints not passed: the provider does not take them', { model_id: candidate.model.id, ignored_params: ignored.join(',') });
    const chat = {
      ...params,
      messages: job.messages,
      tools: job.tools,
      toolChoice: job.toolChoice,
      responseFormat: job.responseFormat,
      ...(job.choices > 1 && { n: job.choices }),
    };
    if (!control.onDelta) {
      return asCompletion ? adapter.complete(candidate.target, { ...params, prompt: job.prompt! }) : adapter.chat(candidate.target, chat);
    }
    const stream = asCompletion ? adapter.streamComplete(candidate.target, { ...params, prompt: job.prompt! }) : adapter.streamChat(candidate.target, chat);
    for await (const chunk of stream) {
      if (chunk.type === 'done') return chunk.result;
      streamed.sent = true;
      if (chunk.type === 'tool_call_delta') {
        control.onToolCallDelta?.(chunk.delta);
        continue;
      }
      streamed.content += chunk.content;
      control.onDelta(chunk.content);
    }
    throw new ProviderError(ProviderErrorCode.Unknown, 'Provider stream ended without a final result');
  }

  private async finish(
    job: Job,
    control: RunControl,
    candidate: PlannedCandidate,
    result: GenerationResult,
    attempts: FailedAttempt[],
    createdAt: Date,
    started: number,
    deadline: number,
  ): Promise<CompletionView> {
    const { model, scores } = candidate;
    const usage = await this.usageOf(candidate, job, result);
    const cost = estimateCost(modelPrices(model), usage);
    const latencyMs = Math.round(this.clock.monotonicMs() - started);
    const answer = { model: { id: model.id, provider: model.provider }, scores, result, usage, cost };
    const outcome = answeredOutcome(factsOf(job, control.requestId), answer, attempts, { createdAt, latencyMs, now: this.clock.now() });
    await this.record(job, control, outcome, deadline);
    return outcome.response;
  }

  /** Records a request that no candidate answered and returns the error to answer with. */
  private async fail(job: Job, control: RunControl, attempts: FailedAttempt[], stop: Stop | null, started: number, deadline: number): Promise<DomainError> {
    const latencyMs = Math.round(this.clock.monotonicMs() - started);
    const { outcome, error } = failedOutcome(factsOf(job, control.requestId), attempts, latencyMs, this.clock.now());
    if (stop) error.details.stopped_by = stop;
    await this.record(job, control, outcome, deadline);
    return error;
  }

  private record(job: Job, { requestId, caller }: RunControl, outcome: Outcome, deadline: number): Promise<void> {
    return this.recorder.recordRun({ requestId, taskType: job.taskType, keyName: keyNameOf(caller), timer: job.timer }, outcome, deadline);
  }

  /** Provider-reported counts; where a provider reports none (or the call was cancelled), counted with the model's tokenizer. */
  private async usageOf(candidate: PlannedCandidate, job: Job, result: GenerationResult): Promise<Usage> {
    const count = (text: string) => this.providers.countTokens(candidate.model, candidate.target, text);
    return {
      prompt: result.usage.promptTokens ?? (await count(job.promptText)),
      completion: result.usage.completionTokens ?? (await count(result.content + result.toolCalls.map((call) => call.name + call.arguments).join(''))),
      ...(result.usage.cachedTokens !== undefined && { cached: result.usage.cachedTokens }),
      ...(result.usage.cacheWriteTokens !== undefined && { cacheWrite: result.usage.cacheWriteTokens }),
    };
  }
}

/**
 * A prompt goes to a completion endpoint where the model has one; a chat model reads it as one user
 * message. A prompt whose answer must be JSON goes as chat, where every provider takes a format.
 */
function servedAsCompletion(candidate: PlannedCandidate, job: Job): boolean {
  return job.prompt !== null && job.responseFormat === undefined && candidate.model.capabilities.includes('completion');
}

/** Why an answer (any of its choices) does not have the form `response_format` asks for; null when it has. */
function answerProblem(job: Job, result: GenerationResult): string | null {
  if (!job.answerCheck || result.finishReason === 'cancelled') return null;
  for (const [index, choice] of [result, ...(result.alternatives ?? [])].entries()) {
    // A turn that calls tools has no answer yet.
    const problem = choice.toolCalls.length > 0 ? null : job.answerCheck(choice.content);
    if (problem) return index === 0 ? problem : `choice ${index}: ${problem}`;
  }
  return null;
}



function ignoredFor(candidate: PlannedCandidate, job: Job): string[] {
  if (job.native?.protocol === candidate.model.provider) return [];
  const hints = ignoredHints(endpointOf(candidate.model.provider, candidate.target, servedAsCompletion(candidate, job)), job.sampling, job.tools !== undefined);
  return [...hints, ...(job.native?.nativeOnly ?? [])].sort();
}

function unionOf(lists: string[][]): string[] {
  return [...new Set(lists.flat())].sort();
}

function cancelledResult(partialContent: string): GenerationResult {
  return {
    content: partialContent,
    toolCalls: [],
    finishReason: 'cancelled',
    usage: { promptTokens: null, completionTokens: null },
    confidence: null,
    modelSpecific: {},
  };
}
