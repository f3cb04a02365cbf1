import { ModelsService } from '../../src/models/models.service';
import { NewObservation } from '../../src/performance/performance.repository';
import { Sql } from '../../src/database/sql';
import { PerformanceService } from '../../src/performance/performance.service';
import { Random, seededRandom } from '../../src/routing/random-source';
import { RoutingService } from '../../src/routing/routing.service';
import { SeededRandomSource, SimulatedClock, startEvalApp } from './harness';
import { EvalOptions, MODELS, modelById, normal, Request, TASKS, truthOf, workload } from './world';

/** One request as the router served it. */
export interface ServedRequest extends Request {
  modelId: string;
}

export interface SimulationResult {
  requests: ServedRequest[];
  /** Routing's cost weight in the run (the oracle uses the same objective). */
  costWeight: number;
  exploration: number;
  maxEvidence: number;
  elapsedMs: number;
}

/** Answers from an OpenAI-compatible endpoint that is never called: the provider call is simulated. */
const UNUSED_ENDPOINT = 'http://127.0.0.1:9/v1';

/**
 * Drives the real routing and performance services through the workload: for each request the
 * router's plan picks the model; the call succeeds or fails per the hidden truth (reported to the
 * router's circuit breaker as inference does); a share of users rate the answer around its true
 * quality; outcomes and ratings are recorded through the performance write path (automatic
 * observations weigh 1, ratings FEEDBACK_WEIGHT), a batch at a time, as a late-arriving stream.
 */
export async function simulate(options: EvalOptions): Promise<SimulationResult> {
  const started = Date.now();
  const clock = new SimulatedClock();
  const world = seededRandom(options.seed);
  const app = await startEvalApp(clock, new SeededRandomSource(seededRandom(options.seed ^ 0x5eed)), options.settings);
  try {
    const routing = app.module.get(RoutingService);
    const performance = app.module.get(PerformanceService);
    const sql = app.module.get(Sql);
    await registerModels(app.module.get(ModelsService));

    const requests = workload(options, world);
    const served: ServedRequest[] = [];
    let pending: NewObservation[] = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      const { scores } = await sql.transaction((tx) => performance.record(tx, batch));
      performance.committed(scores);
    };

    for (const request of requests) {
      clock.advance(options.secondsPerRequest * 1000);
      const [chosen] = await routing.plan(routingRequest(request));
      served.push({ ...request, modelId: chosen.model.id });
      pending.push(...outcome(request, chosen.model.id, options, world, clock.now(), app.config.performance.feedbackWeight, routing));
      if (pending.length > 0 && (request.index + 1) % options.batchSize === 0) await flush();
    }
    if (pending.length > 0) await flush();

    return {
      requests: served,
      costWeight: app.config.routing.costWeight,
      exploration: app.config.routing.exploration,
      maxEvidence: app.config.performance.maxEvidence,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await app.close();
  }
}

/** Registered as an operator would: prices, limits and the (sometimes optimistic) baselines. */
export async function registerModels(models: ModelsService): Promise<void> {
  for (const model of MODELS) {
    await models.register({
      model_id: model.id,
      provider: 'openai',
      capabilities: ['chat', 'completion'],
      performance_baseline: model.baseline,
      configuration: { api_url: UNUSED_ENDPOINT, api_key: 'sk-eval-never-sent' },
      properties: { context_length: 128_000, token_limit: 8192, pricing: model.pricing },
    });
  }
}

/** A request of the task type's size: its prompt bytes (4 per token) and max_tokens as a client would send them. */
function routingRequest(request: Request): Parameters<RoutingService['plan']>[0] {
  const profile = TASKS[request.taskType];
  return {
    taskType: request.taskType,
    fallback: true,
    promptText: '',
    needs: {
      anyOf: ['completion', 'chat'],
      allOf: [],
      promptTokensAtMost: profile.promptTokens * 4,
      maxTokens: profile.completionTokens,
      minQuality: undefined,
      reliability: undefined,
    },
  };
}

/** What one call tells the service: the automatic observation, and the user's rating when one is left. */
function outcome(
  request: Request,
  modelId: string,
  options: EvalOptions,
  random: Random,
  at: Date,
  feedbackWeight: number,
  routing: RoutingService,
): NewObservation[] {
  const truth = truthOf(modelById(modelId), request);
  const succeeded = random() < truth.success;
  routing.recordCallOutcome(modelId, succeeded ? null : { retryable: true });
  const base = { modelId, taskType: request.taskType, requestId: null, observedAt: at };
  const observations: NewObservation[] = [{ ...base, source: 'automatic', success: succeeded, quality: null, weight: 1 }];
  if (succeeded && random() < options.feedbackRate) {
    const rating = Math.min(1, Math.max(0, normal(random, truth.quality, options.ratingNoise)));
    observations.push({ ...base, source: 'user', success: rating >= 0.5, quality: rating, weight: feedbackWeight });
  }
  return observations;
}
