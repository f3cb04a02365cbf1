import { Injectable } from '@nestjs/common';
import { Caller, keyNameOf } from '../access/client-key';
import { LimitsService } from '../access/limits/limits.service';
import { modelAllowed } from '../access/permissions';
import { responseCacheKey } from '../cache/cache-key';
import { ResponseCacheService } from '../cache/response-cache.service';
import { Clock } from '../common/clock';
import { ValidationFailed } from '../common/errors/domain-error';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { InstanceLease } from '../instances/instance-lease.service';
import { MetricsService } from '../metrics/metrics.service';
import { AnswerCapture, CachedAnswer, cacheKeyPartsOf } from './cached-answer';
import { CompletionView } from './dto/completion.view';
import { InferenceRepository } from './inference.repository';
import { Job, RunControl } from './inference.types';
import { factsOf, rowOf } from './job';
import { cachedOutcome } from './outcome';
import { OutcomeRecorder } from './outcome-recorder.service';

/** A request that uses the response cache: its entry's id, how long its answer is kept, and what it sends as it runs. */
export interface CachePlan {
  id: string;
  ttlSeconds: number;
  capture: AnswerCapture;
}

/**
 * The response cache in the request lifecycle (docs/api.md 'Response cache'): which requests use
 * it, answering one from it, and keeping a fresh answer. An answer from the cache is still a
 * request: it counts for the key's RPM (it reserves no tokens and no budget), it is recorded as
 * completed with `cached`, at no cost, and published, but it is no observation of the model.
 */
@Injectable()
export class CachedAnswers {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly cache: ResponseCacheService,
    private readonly limits: LimitsService,
    private readonly requests: InferenceRepository,
    private readonly recorder: OutcomeRecorder,
    private readonly lease: InstanceLease,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
  ) {}

  /**
   * How the request uses the cache: the request's `cache.ttl_seconds` (or `X-Cache-TTL`), else its
   * key's default cut to CACHE_MAX_TTL_SECONDS; null when neither asks, or asks 0.
   */
  planFor(job: Job, caller: Caller): CachePlan | null {
    const max = this.config.cache.maxTtlSeconds;
    const asked = job.dto.cache?.ttl_seconds;
    if (asked !== undefined && asked > max) {
      throw new ValidationFailed({ 'cache.ttl_seconds': [`cache.ttl_seconds must be at most ${max} (CACHE_MAX_TTL_SECONDS)`] });
    }
    const ttlSeconds = asked ?? Math.min(caller.kind === 'key' ? (caller.key.cacheTtlSeconds ?? 0) : 0, max);
    if (ttlSeconds <= 0) return null;
    return { id: responseCacheKey(cacheKeyPartsOf(job, caller)), ttlSeconds, capture: new AnswerCapture() };
  }

  /**
   * The request answered from the cache, or null when the cache has no answer for it that its key
   * may still see (the model that answered may have left the key's list since).
   */
  async answer(job: Job, control: RunControl, plan: CachePlan): Promise<CompletionView | null> {
    const entry = await this.cache.lookup<CachedAnswer>(plan.id);
    const hit = entry !== null && modelAllowed(control.caller, entry.view.model.id);
    this.metrics.responseCache(hit ? 'hit' : 'miss');
    control.onCacheResult?.(hit ? 'hit' : 'miss');
    return hit ? this.replay(job, control, entry) : null;
  }

  /** Keeps a fresh answer for the plan's TTL, unless it must not be (see `AnswerCapture.entryFor`). */
  async keep(plan: CachePlan, view: CompletionView, streamed: boolean): Promise<void> {
    const entry = plan.capture.entryFor(view, streamed);
    if (entry) await this.cache.store(plan.id, entry, plan.ttlSeconds);
  }

  private async replay(job: Job, control: RunControl, entry: CachedAnswer): Promise<CompletionView> {
    const { caller, requestId } = control;
    const admission = await this.limits.admit(caller, { requestId, tokens: 0, maxCostUsd: 0 });
    const createdAt = this.clock.now();
    const started = this.clock.monotonicMs();
    try {
      // A request without task type counts where its answer's request was routed (its kind is not learned again).
      if (job.dto.task_type === undefined) job.inferredTask = entry.view.routing?.inferred_task ?? null;
      if (job.inferredTask !== null) control.onInferredTask?.(job.inferredTask);
      await this.requests.insert(rowOf(job, requestId, createdAt, caller), 'running', this.lease.id);
      control.onIgnoredParams?.(entry.ignoredParams);
      control.onStart?.();
      if (control.onDelta) {
        for (const event of entry.replay) {
          if ('delta' in event) control.onDelta(event.delta);
          else control.onToolCallDelta?.(event.tool_call);
        }
      }
      const timing = { createdAt, latencyMs: Math.round(this.clock.monotonicMs() - started), now: this.clock.now() };
      const outcome = cachedOutcome(factsOf(job, requestId), entry.view, timing);
      await this.recorder.recordRun({ requestId, taskType: job.taskType, keyName: keyNameOf(caller), timer: job.timer }, outcome, started + this.config.requests.timeoutMs);
      return outcome.response;
    } finally {
      await admission.settle({ tokens: 0, costUsd: 0 });
    }
  }
}
