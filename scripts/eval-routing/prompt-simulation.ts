import { Sql } from '../../src/database/sql';
import { ModelsService } from '../../src/models/models.service';
import { NewObservation } from '../../src/performance/performance.repository';
import { PerformanceService } from '../../src/performance/performance.service';
import { DEFAULT_TASK_TYPE } from '../../src/performance/task-types';
import { PromptKindsService } from '../../src/routing/prompt-kinds.service';
import { Random, seededRandom } from '../../src/routing/random-source';
import { RoutingService } from '../../src/routing/routing.service';
import { SeededRandomSource, SimulatedClock, startEvalApp } from './harness';
import { FAMILY_PROFILES, familyTruth, PromptRequest, promptWorkload } from './prompt-world';
import { registerModels } from './simulation';
import { modelById, normal } from './world';

/**
 * How the router is told what a request is:
 * - `inferred`: not at all, as most traffic; the service learns kinds from the prompts (the scenario under test);
 * - `given`: the true family as its task type (the task-type router, an upper bound for reading prompts);
 * - `general`: not at all, and kinds off (ROUTING_PROMPT_KINDS=0): everything under `general`, as before.
 */
export type PromptMode = 'inferred' | 'given' | 'general';

export interface PromptRunOptions {
  requests: number;
  seed: number;
  feedbackRate: number;
  mode: PromptMode;
  ratingNoise: number;
  batchSize: number;
  secondsPerRequest: number;
  driftAt: number;
  settings: Record<string, string>;
}

export const PROMPT_SHORT_RUN: Omit<PromptRunOptions, 'feedbackRate' | 'mode'> = {
  requests: 3000,
  seed: 20240611,
  ratingNoise: 0.1,
  batchSize: 8,
  secondsPerRequest: 20,
  driftAt: 0.5,
  settings: {},
};

export interface ServedPromptRequest extends PromptRequest {
  modelId: string;
  /** The kind (or task type) the request was routed and learned as. */
  routedAs: string;
}

export interface PromptRunResult {
  options: PromptRunOptions;
  requests: ServedPromptRequest[];
  /** The kinds learned by the end of the run, with their hints. */
  kinds: { name: string; requests: number; hint: string[] }[];
  costWeight: number;
  elapsedMs: number;
}

/**
 * The real service (routing, performance, prompt kinds on Postgres) through a stream of prompts
 * of five families: each request is routed as its kind (or family, or `general`), its outcome and,
 * for a share of them, the user's rating around the true quality are recorded as in `simulate`.
 */
export async function simulatePrompts(options: PromptRunOptions): Promise<PromptRunResult> {
  const started = Date.now();
  const clock = new SimulatedClock();
  const world = seededRandom(options.seed);
  const settings = options.mode === 'general' ? { ...options.settings, ROUTING_PROMPT_KINDS: '0' } : options.settings;
  const app = await startEvalApp(clock, new SeededRandomSource(seededRandom(options.seed ^ 0x5eed)), settings);
  try {
    const routing = app.module.get(RoutingService);
    const kinds = app.module.get(PromptKindsService);
    const performance = app.module.get(PerformanceService);
    const sql = app.module.get(Sql);
    await registerModels(app.module.get(ModelsService));

    const served: ServedPromptRequest[] = [];
    let pending: NewObservation[] = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      const { scores } = await sql.transaction((tx) => performance.record(tx, batch));
      performance.committed(scores);
    };

    for (const request of promptWorkload(options.requests, options.driftAt, world)) {
      clock.advance(options.secondsPerRequest * 1000);
      const routedAs = options.mode === 'given' ? request.family : ((await kinds.kindOf(request.prompt)) ?? DEFAULT_TASK_TYPE);
      const [chosen] = await routing.plan({
        taskType: routedAs,
        fallback: true,
        promptText: '',
        needs: {
          anyOf: ['completion', 'chat'],
          allOf: [],
          promptTokensAtMost: Buffer.byteLength(request.prompt, 'utf8'),
          maxTokens: FAMILY_PROFILES[request.family].completionTokens,
          minQuality: undefined,
          reliability: undefined,
        },
      });
      served.push({ ...request, modelId: chosen.model.id, routedAs });
      pending.push(...outcome(request, chosen.model.id, routedAs, options, world, clock.now(), app.config.performance.feedbackWeight, routing));
      if (pending.length > 0 && (request.index + 1) % options.batchSize === 0) await flush();
    }
    if (pending.length > 0) await flush();
    return { options, requests: served, kinds: kinds.list(), costWeight: app.config.routing.costWeight, elapsedMs: Date.now() - started };
  } finally {
    await app.close();
  }
}

function outcome(
  request: PromptRequest,
  modelId: string,
  taskType: string,
  options: PromptRunOptions,
  random: Random,
  at: Date,
  feedbackWeight: number,
  routing: RoutingService,
): NewObservation[] {
  const truth = familyTruth(modelById(modelId), request);
  const succeeded = random() < truth.success;
  routing.recordCallOutcome(modelId, succeeded ? null : { retryable: true });
  const base = { modelId, taskType, requestId: null, observedAt: at };
  const observations: NewObservation[] = [{ ...base, source: 'automatic', success: succeeded, quality: null, weight: 1 }];
  if (succeeded && random() < options.feedbackRate) {
    const rating = Math.min(1, Math.max(0, normal(random, truth.quality, options.ratingNoise)));
    observations.push({ ...base, source: 'user', success: rating >= 0.5, quality: rating, weight: feedbackWeight });
  }
  return observations;
}
