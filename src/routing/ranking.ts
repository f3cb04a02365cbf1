import { ModelEntity } from '../models/model.entity';

/** What routing knows about one model for one task type. */
export interface ModelScores {
  quality: number;
  successRate: number;
}

export interface RoutingNeeds {
  /** Any one of these serves the request (a completion can be served by a chat model). */
  anyOf: string[];
  /** The request's `requirements.capabilities`: all of these. */
  allOf: string[];
  /** A sure upper bound on the prompt's tokens; exact counts are taken only near the limit. */
  promptTokensAtMost: number;
  maxTokens: number | undefined;
  minQuality: number | undefined;
  reliability: number | undefined;
}

export interface Scored {
  model: ModelEntity;
  scores: ModelScores;
}

export type Rejection = { model_id: string; reason: string };

/** Weight of cost in the utility: enough to prefer the cheaper of two equally good models, never a better one. */
const COST_WEIGHT = 0.02;
/** Success rate's share of utility at reliability 0 and at reliability 1 (default 0.5 -> 0.35). */
const SUCCESS_WEIGHT_RANGE = [0.2, 0.5] as const;

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

/**
 * Expected utility of a model for the request: quality and success rate (success weighted up by
 * `reliability`), less a small cost term relative to the dearest candidate.
 */
export function utilityOf(scores: ModelScores, blendedPrice: number, maxBlendedPrice: number, reliability = 0.5): number {
  const [low, high] = SUCCESS_WEIGHT_RANGE;
  const successWeight = low + (high - low) * reliability;
  const relativeCost = maxBlendedPrice > 0 ? blendedPrice / maxBlendedPrice : 0;
  return (1 - successWeight) * scores.quality + successWeight * scores.successRate - COST_WEIGHT * relativeCost;
}

export function blendedPrice(model: ModelEntity): number {
  return (model.priceInput + model.priceOutput) / 2;
}

/** Best first; ties go to the cheaper model, then to the smaller id, so the order is deterministic. */
export function rank<T extends Scored>(candidates: T[], reliability: number | undefined): T[] {
  const maxPrice = Math.max(0, ...candidates.map((c) => blendedPrice(c.model)));
  const utility = new Map(candidates.map((c) => [c, utilityOf(c.scores, blendedPrice(c.model), maxPrice, reliability)]));
  return [...candidates].sort(
    (a, b) =>
      utility.get(b)! - utility.get(a)! ||
      blendedPrice(a.model) - blendedPrice(b.model) ||
      a.model.id.localeCompare(b.model.id),
  );
}

/**
 * The temperature used when the request gives none (documented in the README): creativity
 * maps 0..1 to 0.2..1.2; reliability then scales it down by up to 80%. With neither, the
 * provider's default applies.
 */
export function defaultTemperature(creativity: number | undefined, reliability: number | undefined): number | undefined {
  if (creativity === undefined && reliability === undefined) return undefined;
  const base = creativity === undefined ? 0.7 : 0.2 + creativity;
  const scaled = reliability === undefined ? base : base * (1 - 0.8 * reliability);
  return Math.round(scaled * 100) / 100;
}
