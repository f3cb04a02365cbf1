import { Injectable, Logger } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ProviderErrorCode } from '../providers/provider-error';
import { FailedAttempt, fallbackFollowed } from '../providers/provider-failure';
import { BoundedLabel } from './bounded-label';
import { MetricName, NO_MODEL, OVERHEAD_BUCKETS, REQUEST_DURATION_BUCKETS } from './metric-names';
import { RequestTimer } from './request-timer';

/** A completion or chat request whose outcome has been committed. */
export interface RecordedRequest {
  taskType: string;
  /** The name of the client key it came with; null without one (open access, the admin token, or not known any more). */
  keyName: string | null;
  status: 'completed' | 'failed' | 'cancelled';
  /** The model that answered, else the last one tried; null when no provider was called. */
  model: { id: string; provider: string } | null;
  /** Failed provider calls, in order. */
  attempts: readonly FailedAttempt[];
  usage: { prompt: number; completion: number } | null;
  cost: number | null;
  /** Null for a request that never ran (cancelled while queued): it has no latency. */
  timer: RequestTimer | null;
  /** Answered from the response cache: a request, but no provider's tokens or cost. */
  cached?: boolean;
}

/** What the response cache did: a lookup that found an answer or none, an answer stored or too large to be, Redis failing. */
export type ResponseCacheResult = 'hit' | 'miss' | 'store' | 'too_large' | 'error';

export interface EmbeddingModel {
  id: string;
  provider: string;
}

/**
 * The counters and histograms of requests, fed by the services once an outcome is recorded, so a
 * metric never claims a request the database does not have. Labels are bounded: model ids and
 * providers come from the operator's registry, error codes from a fixed set, task types (the
 * caller's free text) are capped by METRICS_MAX_TASK_TYPES; no request or user ids.
 */
@Injectable()
export class MetricsService {
  private readonly logger = new Logger(MetricsService.name);
  private readonly taskTypes: BoundedLabel;
  private readonly keyNames: BoundedLabel;

  private readonly requests: Counter<'model' | 'provider' | 'task_type' | 'outcome'>;
  private readonly duration: Histogram<'model' | 'provider' | 'task_type'>;
  private readonly overhead: Histogram;
  private readonly tokens: Counter<'model' | 'provider' | 'kind'>;
  private readonly cost: Counter<'model' | 'provider'>;
  private readonly providerFailures: Counter<'model' | 'provider' | 'code'>;
  private readonly fallbacks: Counter<'task_type' | 'outcome'>;
  private readonly cancellations: Counter<'model' | 'provider'>;
  private readonly embeddings: Counter<'model' | 'provider' | 'outcome'>;
  private readonly keyRequests: Counter<'key' | 'outcome'>;
  private readonly keyCost: Counter<'key'>;
  private readonly responseCacheResults: Counter<'result'>;

  constructor(
    @InjectConfig() config: AppConfig,
    registry: Registry,
    private readonly clock: Clock,
  ) {
    this.taskTypes = new BoundedLabel(config.metrics.maxTaskTypes);
    this.keyNames = new BoundedLabel(config.metrics.maxKeys);
    const registers = [registry];
    this.requests = new Counter({
      name: MetricName.Requests,
      help: 'Completion and chat requests by recorded outcome (completed, failed, cancelled); model is the one that answered, else the last tried, else "none"',
      labelNames: ['model', 'provider', 'task_type', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: MetricName.RequestDuration,
      help: 'Completion and chat requests from their start (before routing) until their outcome was recorded',
      labelNames: ['model', 'provider', 'task_type'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    });
    this.overhead = new Histogram({
      name: MetricName.GatewayOverhead,
      help: 'Time a request spent in the gateway itself: its duration minus the time spent awaiting provider calls (all attempts)',
      buckets: OVERHEAD_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: MetricName.Tokens,
      help: 'Tokens used by completed and cancelled requests and by embeddings, as providers reported them (counted where they did not)',
      labelNames: ['model', 'provider', 'kind'],
      registers,
    });
    this.cost = new Counter({
      name: MetricName.EstimatedCost,
      help: 'Estimated cost in US dollars from the registered prices',
      labelNames: ['model', 'provider'],
      registers,
    });
    this.providerFailures = new Counter({
      name: MetricName.ProviderFailures,
      help: 'Failed provider calls by normalized error code',
      labelNames: ['model', 'provider', 'code'],
      registers,
    });
    this.fallbacks = new Counter({
      name: MetricName.Fallbacks,
      help: 'Failed provider calls after which another model was tried; outcome: whether the request then succeeded',
      labelNames: ['task_type', 'outcome'],
      registers,
    });
    this.cancellations = new Counter({
      name: MetricName.Cancellations,
      help: 'Requests recorded as cancelled (cancel command, admin endpoint, client gone, shutdown); model "none" when cancelled while queued',
      labelNames: ['model', 'provider'],
      registers,
    });
    this.embeddings = new Counter({
      name: MetricName.EmbeddingRequests,
      help: 'Embedding requests that reached a provider, by outcome (completed, failed, cancelled)',
      labelNames: ['model', 'provider', 'outcome'],
      registers,
    });
    this.keyRequests = new Counter({
      name: MetricName.KeyRequests,
      help: 'Completion, chat and embedding requests of each client key by outcome; key is its name (bounded by METRICS_MAX_KEYS)',
      labelNames: ['key', 'outcome'],
      registers,
    });
    this.keyCost = new Counter({
      name: MetricName.KeyCost,
      help: 'Estimated cost in US dollars of the requests of each client key (bounded by METRICS_MAX_KEYS)',
      labelNames: ['key'],
      registers,
    });
    this.responseCacheResults = new Counter({
      name: MetricName.ResponseCache,
      help: 'Response cache lookups (hit, miss), stores (store, too_large) and Redis failures (error); hits are also counted as requests',
      labelNames: ['result'],
      registers,
    });
  }

  /** Starts timing a request; the inference lifecycle measures its provider calls with it. */
  startTimer(): RequestTimer {
    return new RequestTimer(this.clock);
  }

  /** Call once the request's outcome has been committed. Never throws: metrics must not fail a request. */
  requestRecorded(request: RecordedRequest): void {
    this.safely(() => {
      const taskType = this.taskTypes.valueOf(request.taskType);
      const model = request.model?.id ?? NO_MODEL;
      const provider = request.model?.provider ?? NO_MODEL;

      this.requests.inc({ model, provider, task_type: taskType, outcome: request.status });
      if (request.timer) {
        const { totalSeconds, overheadSeconds } = request.timer.elapsed();
        this.duration.observe({ model, provider, task_type: taskType }, totalSeconds);
        this.overhead.observe(overheadSeconds);
      }
      if (request.usage && !request.cached) this.countUsage(model, provider, request.usage, request.cost ?? 0);
      if (request.status === 'cancelled') this.cancellations.inc({ model, provider });
      this.countForKey(request.keyName, request.status, request.cost ?? 0);

      const answered = request.status !== 'failed';
      request.attempts.forEach((attempt, index) => {
        this.providerFailures.inc({ model: attempt.model_id, provider: attempt.provider, code: attempt.error.code });
        if (fallbackFollowed(index, request.attempts, answered)) {
          this.fallbacks.inc({ task_type: taskType, outcome: request.status === 'completed' ? 'succeeded' : 'failed' });
        }
      });
    });
  }

  responseCache(result: ResponseCacheResult): void {
    this.safely(() => this.responseCacheResults.inc({ result }));
  }

  embeddingsServed(model: EmbeddingModel, tokens: number, cost: number, keyName: string | null): void {
    this.safely(() => {
      this.embeddings.inc({ model: model.id, provider: model.provider, outcome: 'completed' });
      this.countUsage(model.id, model.provider, { prompt: tokens }, cost);
      this.countForKey(keyName, 'completed', cost);
    });
  }

  /** A failed embeddings call; one the caller abandoned (client gone) is `cancelled`, not a provider failure. */
  embeddingsFailed(attempt: FailedAttempt): void {
    this.safely(() => {
      const labels = { model: attempt.model_id, provider: attempt.provider };
      if (attempt.error.code === ProviderErrorCode.Cancelled) {
        this.embeddings.inc({ ...labels, outcome: 'cancelled' });
        return;
      }
      this.embeddings.inc({ ...labels, outcome: 'failed' });
      this.providerFailures.inc({ ...labels, code: attempt.error.code });
    });
  }

  private countForKey(keyName: string | null, outcome: string, cost: number): void {
    if (keyName === null) return;
    const key = this.keyNames.valueOf(keyName);
    this.keyRequests.inc({ key, outcome });
    this.keyCost.inc({ key }, cost);
  }

  /** Embeddings have input tokens only. */
  private countUsage(model: string, provider: string, usage: { prompt: number; completion?: number }, cost: number): void {
    this.tokens.inc({ model, provider, kind: 'prompt' }, usage.prompt);
    if (usage.completion !== undefined) this.tokens.inc({ model, provider, kind: 'completion' }, usage.completion);
    this.cost.inc({ model, provider }, cost);
  }

  private safely(update: () => void): void {
    try {
      update();
    } catch (error) {
      this.logger.warn(`Metrics not updated: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
