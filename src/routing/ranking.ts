import { ModelEntity } from '../models/model.entity';
import { meanScores, ModelScores, ScorePosterior } from '../performance/scoring';
import { answerParamProblem, AnswerParams, ParamProblem } from '../providers/generation-params';
import { Random } from './random-source';
import { sampleBeta } from './thompson';

export interface RoutingNeeds {
  /** Any one of these serves the request (a completion can be served by a chat model). */
  anyOf: string[];
  /** The request's `requirements.capabilities`: all of these. */
  allOf: string[];
  /** A sure upper bound on the prompt's tokens (its UTF-8 bytes); exact counts are taken only near the limit. */
  promptTokensAtMost: number;
  maxTokens: number | undefined;
  minQuality: number | undefined;
  reliability: number | undefined;
  /** What the request asks that changes the answer: a provider that cannot honour it is not eligible. */
  params?: AnswerParams;
  /** `requirements.max_cost_per_1k`: the most the request may cost per 1K tokens (USD), at its expected mix of input and output. */
  maxCostPer1k?: number;
}

/** A model that passed the filters, with what is believed about it and what the request would cost on it. */
export interface Candidate {
  model: ModelEntity;
  posterior: ScorePosterior;
  /** USD, see `expectedCost`. */
  expectedCost: number;
}

export interface RankingPolicy {
  /** `requirements.reliability`: weights success rate up and exploration down. */
  reliability: number | undefined;
  /** Utility given up per US dollar of expected cost (ROUTING_COST_WEIGHT). */
  costWeight: number;
  /** Share of requests whose first choice is a Thompson draw (ROUTING_EXPLORATION); 0 ranks by expected utility only. */
  exploration: number;
}

export type Rejection = { model_id: string; reason: string };

/** Success rate's share of utility at reliability 0 and at reliability 1 (default 0.5 -> 0.35). */
const SUCCESS_WEIGHT_RANGE = [0.2, 0.5] as const;
/** UTF-8 bytes per token of typical English text and code under BPE tokenizers, for the expected prompt size. */
const BYTES_PER_TOKEN = 4;
/** Completion tokens expected when the request sets no `max_tokens`. */
const DEFAULT_COMPLETION_TOKENS = 512;

/** Why a model cannot serve the request, or null when it can (context fit is checked separately). */
export function capabilityProblem(model: ModelEntity, needs: RoutingNeeds): string | null {
  if (!needs.anyOf.some((c) => model.capabilities.includes(c))) return `it has none of the capabilities ${needs.anyOf.join(', ')}`;
  const missing = needs.allOf.filter((c) => !model.capabilities.includes(c));
  if (missing.length > 0) return `it lacks the required capabilities ${missing.join(', ')}`;
  if (needs.maxTokens !== undefined && needs.maxTokens > model.tokenLimit) {
    return `max_tokens ${needs.maxTokens} exceeds its token limit ${model.tokenLimit}`;
  }
  return null;
}

/** The request field the model's provider cannot honour, and why; or null. */
export function paramProblem(model: ModelEntity, needs: RoutingNeeds): ParamProblem | null {
  return needs.params ? answerParamProblem(model.provider, needs.params) : null;
}

/** Why the request's budget excludes the model, or null. */
export function costProblem(model: ModelEntity, needs: RoutingNeeds): string | null {
  if (needs.maxCostPer1k === undefined) return null;
  const per1k = costPer1k(model, needs);
  return per1k > needs.maxCostPer1k ? `its cost per 1K tokens ${round(per1k)} is above max_cost_per_1k ${needs.maxCostPer1k}` : null;
}

/** Tokens the request is expected to use: its prompt at a typical 4 bytes per token, and `max_tokens` (else 512) of output. */
export function expectedTokens(needs: RoutingNeeds): { prompt: number; completion: number } {
  return { prompt: needs.promptTokensAtMost / BYTES_PER_TOKEN, completion: needs.maxTokens ?? DEFAULT_COMPLETION_TOKENS };
}

/** Expected cost of the request on the model, in USD, from its registered prices per 1K tokens. */
export function expectedCost(model: ModelEntity, needs: RoutingNeeds): number {
  const tokens = expectedTokens(needs);
  return (tokens.prompt * model.priceInput + tokens.completion * model.priceOutput) / 1000;
}

/** The model's price per 1K tokens at the request's expected mix of input and output. */
export function costPer1k(model: ModelEntity, needs: RoutingNeeds): number {
  const tokens = expectedTokens(needs);
  const total = tokens.prompt + tokens.completion;
  return total > 0 ? (expectedCost(model, needs) * 1000) / total : (model.priceInput + model.priceOutput) / 2;
}

export function successWeight(reliability = 0.5): number {
  const [low, high] = SUCCESS_WEIGHT_RANGE;
  return low + (high - low) * reliability;
}

/**
 * Utility of a model for the request: quality and success rate (success weighted up by
 * `reliability`), less the expected cost in USD times the cost weight. Quality and success are
 * on a 0..1 scale, so a cost weight of 1 trades one point of quality for one US dollar.
 */
export function utilityOf(scores: ModelScores, cost: number, costWeight: number, reliability?: number): number {
  const w = successWeight(reliability);
  return (1 - w) * scores.quality + w * scores.successRate - costWeight * cost;
}

/** The chance that this request explores: the configured rate, of which a caller asking for reliability r gets (1 - r). */
export function explorationRate(policy: RankingPolicy): number {
  return Math.min(1, Math.max(0, policy.exploration * (1 - (policy.reliability ?? 0))));
}

/**
 * Candidates in the order to try them: by expected utility (posterior means; ties: the cheaper,
 * then the smaller id), which is also the fallback order. With probability `explorationRate` the
 * first is instead chosen by Thompson sampling (epsilon-Thompson sampling, Jin et al. 2023): one
 * draw of quality and success from each candidate's posterior, scored with the same utility, cost
 * included, so a model is tried in proportion to the chance that it is truly the best, and a dear
 * one only while its posterior could beat a cheap one by more than its extra cost.
 */
export function rank<T extends Candidate>(candidates: T[], policy: RankingPolicy, random: Random): T[] {
  const utility = (c: T, scores: ModelScores) => utilityOf(scores, c.expectedCost, policy.costWeight, policy.reliability);
  const expected = new Map(candidates.map((c) => [c, utility(c, meanScores(c.posterior))]));
  const ordered = [...candidates].sort(
    (a, b) => expected.get(b)! - expected.get(a)! || a.expectedCost - b.expectedCost || a.model.id.localeCompare(b.model.id),
  );
  const rate = explorationRate(policy);
  if (rate === 0 || ordered.length < 2 || random() >= rate) return ordered;

  let chosen = ordered[0];
  let best = -Infinity;
  for (const candidate of ordered) {
    const draw = { quality: sampleBeta(candidate.posterior.quality, random), successRate: sampleBeta(candidate.posterior.success, random) };
    const sampled = utility(candidate, draw);
    if (sampled > best) [chosen, best] = [candidate, sampled];
  }
  return [chosen, ...ordered.filter((c) => c !== chosen)];
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * The temperature used when the request gives none (docs/routing.md, 'Temperature'): creativity
 * maps 0..1 to 0.2..1.2; reliability then scales it down by up to 80%. With neither, the
 * provider's default applies.
 */
export function defaultTemperature(creativity: number | undefined, reliability: number | undefined): number | undefined {
  if (creativity === undefined && reliability === undefined) return undefined;
  const base = creativity === undefined ? 0.7 : 0.2 + creativity;
  const scaled = reliability === undefined ? base : base * (1 - 0.8 * reliability);
  return Math.round(scaled * 100) / 100;
}
