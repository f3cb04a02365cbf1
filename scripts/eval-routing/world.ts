import { Random } from '../../src/routing/random-source';
import { successWeight } from '../../src/routing/ranking';

/**
 * The simulated world of the routing evaluation: models with registered prices and baselines,
 * and the hidden ground truth of how well each really does each task type (which the router
 * never sees: it learns only from outcomes and simulated user feedback).
 */

export const TASK_TYPES = ['code_generation', 'reasoning', 'creative', 'summarization'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export interface TaskProfile {
  /** Share of the workload. */
  share: number;
  promptTokens: number;
  completionTokens: number;
}

export const TASKS: Record<TaskType, TaskProfile> = {
  code_generation: { share: 0.3, promptTokens: 1200, completionTokens: 600 },
  reasoning: { share: 0.25, promptTokens: 800, completionTokens: 800 },
  creative: { share: 0.2, promptTokens: 300, completionTokens: 700 },
  summarization: { share: 0.25, promptTokens: 3000, completionTokens: 300 },
};

export interface Truth {
  /** Expected quality of an answer (0..1); a rating is drawn around it. */
  quality: number;
  /** Chance that a call succeeds. */
  success: number;
}

export interface SimulatedModel {
  id: string;
  /** USD per 1K tokens, as registered. */
  pricing: { input: number; output: number };
  /** What the operator registered: the router's prior. Absent: a neutral prior. */
  baseline?: { quality_score?: number; task_specific?: Record<string, number> };
  truth: Record<TaskType, Truth>;
}

export const t = (quality: number, success: number): Truth => ({ quality, success });

/**
 * Six models whose prices span 250x (output) and whose best task differs: a premium generalist
 * that is best only at reasoning, a code specialist, a reasoning-leaning mid-price model, a cheap
 * writer, a very cheap small model that is the best buy for summarization (registered without
 * any baseline), and the cheapest model, weak everywhere. Some baselines are optimistic.
 */
export const MODELS: SimulatedModel[] = [
  {
    id: 'atlas-ultra',
    pricing: { input: 0.015, output: 0.075 },
    baseline: { quality_score: 0.88 },
    truth: { code_generation: t(0.84, 0.99), reasoning: t(0.93, 0.99), creative: t(0.78, 0.99), summarization: t(0.85, 0.99) },
  },
  {
    id: 'forge-coder',
    pricing: { input: 0.003, output: 0.015 },
    baseline: { quality_score: 0.7, task_specific: { code_generation: 0.88 } },
    truth: { code_generation: t(0.92, 0.98), reasoning: t(0.72, 0.98), creative: t(0.55, 0.98), summarization: t(0.7, 0.98) },
  },
  {
    id: 'sage-reasoner',
    pricing: { input: 0.0025, output: 0.01 },
    baseline: { quality_score: 0.72, task_specific: { code_generation: 0.8, reasoning: 0.8 } },
    truth: { code_generation: t(0.85, 0.98), reasoning: t(0.74, 0.98), creative: t(0.6, 0.98), summarization: t(0.72, 0.98) },
  },
  {
    id: 'muse-writer',
    pricing: { input: 0.0008, output: 0.0024 },
    baseline: { quality_score: 0.6, task_specific: { creative: 0.85 } },
    truth: { code_generation: t(0.65, 0.95), reasoning: t(0.6, 0.95), creative: t(0.88, 0.95), summarization: t(0.74, 0.95) },
  },
  {
    id: 'brisk-mini',
    pricing: { input: 0.00015, output: 0.0006 },
    truth: { code_generation: t(0.6, 0.97), reasoning: t(0.55, 0.97), creative: t(0.7, 0.97), summarization: t(0.84, 0.97) },
  },
  {
    id: 'penny-lite',
    pricing: { input: 0.0001, output: 0.0003 },
    baseline: { quality_score: 0.5 },
    truth: { code_generation: t(0.5, 0.95), reasoning: t(0.45, 0.95), creative: t(0.6, 0.95), summarization: t(0.66, 0.95) },
  },
];

/** Mid-run, the best code model gets worse (a silent upstream change): the new best is another model. */
export const DRIFT = { modelId: 'forge-coder', taskType: 'code_generation' as TaskType, quality: 0.55 };

export interface Request {
  index: number;
  taskType: TaskType;
  /** After the drift point. */
  drifted: boolean;
}

export interface EvalOptions {
  requests: number;
  seed: number;
  /** Share of answered requests whose user leaves a quality rating. */
  feedbackRate: number;
  /** Spread of a user's rating around the answer's true quality. */
  ratingNoise: number;
  /** Requests recorded together (feedback arrives late, a few requests at a time). */
  batchSize: number;
  /** Simulated time between two requests. */
  secondsPerRequest: number;
  /** Where in the run (0..1) the drift happens. */
  driftAt: number;
  /** Service settings to try instead of the defaults (e.g. ROUTING_EXPLORATION); the defaults are what is evaluated. */
  settings: Record<string, string>;
}

export const FULL_RUN: EvalOptions = {
  requests: 10000,
  seed: 20240611,
  feedbackRate: 0.7,
  ratingNoise: 0.1,
  batchSize: 8,
  secondsPerRequest: 20,
  driftAt: 0.5,
  settings: {},
};

/** The CI configuration: the same world, fewer requests. */
export const SHORT_RUN: EvalOptions = { ...FULL_RUN, requests: 4000 };

export function workload(options: EvalOptions, random: Random): Request[] {
  const driftIndex = Math.floor(options.requests * options.driftAt);
  return Array.from({ length: options.requests }, (_, index) => ({ index, taskType: pickTask(random), drifted: index >= driftIndex }));
}

function pickTask(random: Random): TaskType {
  let u = random();
  for (const type of TASK_TYPES) {
    u -= TASKS[type].share;
    if (u < 0) return type;
  }
  return TASK_TYPES[TASK_TYPES.length - 1];
}

export function truthOf(model: SimulatedModel, request: Request): Truth {
  const truth = model.truth[request.taskType];
  const drifted = request.drifted && model.id === DRIFT.modelId && request.taskType === DRIFT.taskType;
  return drifted ? { ...truth, quality: DRIFT.quality } : truth;
}

/** What a request of this task type costs on the model, in USD (fixed request sizes per task type). */
export function costOf(model: SimulatedModel, taskType: TaskType): number {
  const { promptTokens, completionTokens } = TASKS[taskType];
  return (promptTokens * model.pricing.input + completionTokens * model.pricing.output) / 1000;
}

/** The true utility of a model for a request, with the router's own objective (default reliability). */
export function trueUtility(model: SimulatedModel, request: Request, costWeight: number): number {
  const truth = truthOf(model, request);
  const w = successWeight();
  return (1 - w) * truth.quality + w * truth.success - costWeight * costOf(model, request.taskType);
}

/** The oracle: the model with the best true utility for this request (it knows the truth, drift included). */
export function oracleChoice(request: Request, costWeight: number): SimulatedModel {
  return MODELS.reduce((best, m) => (trueUtility(m, request, costWeight) > trueUtility(best, request, costWeight) ? m : best));
}

export function modelById(id: string): SimulatedModel {
  const model = MODELS.find((m) => m.id === id);
  if (!model) throw new Error(`unknown simulated model ${id}`);
  return model;
}

/** A normal draw (Box-Muller), for ratings. */
export function normal(random: Random, mean: number, sd: number): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
