/** What is known about one model for one task type: the means of its posteriors. */
export interface ModelScores {
  quality: number;
  successRate: number;
}

/** Evidence about one model for one task type ('*': overall), as time-decayed weighted sums. */
export interface DecayedSums {
  weightSum: number;
  successSum: number;
  /** Only observations that carry a quality signal count here. */
  qualityWeight: number;
  qualitySum: number;
  /** Sum of weighted squared qualities: the spread of the ratings. */
  qualitySqSum: number;
  /** The instant the sums are decayed to. */
  decayedTo: Date;
}

export interface ScoringRules {
  /** Evidence loses half its weight every this many milliseconds. */
  halfLifeMs: number;
  /** How many observations the registered baseline is worth. */
  priorWeight: number;
  /** Most evidence weight a score holds (see `PerformanceSettings.maxEvidence`); applied when evidence is added. */
  maxEvidence: number;
}

/** A starting point for scores: the baseline, and what its quality is worth when not `priorWeight` observations. */
export interface PriorScores extends ModelScores {
  qualityWeight?: number;
}

/** The quality prior's weight: its own (the neutral prior's), never above the configured one. */
function qualityPriorWeight(prior: PriorScores, rules: ScoringRules): number {
  return Math.min(prior.qualityWeight ?? rules.priorWeight, rules.priorWeight);
}

/** The overall row of a model in `performance_scores`. */
export const ALL_TASKS = '*';

/** Weight left after `elapsedMs` of exponential decay; evidence from the future does not gain weight. */
export function decayFactor(elapsedMs: number, halfLifeMs: number): number {
  if (elapsedMs <= 0) return 1;
  const halfLives = elapsedMs / halfLifeMs;
  return halfLives > FORGOTTEN_AFTER_HALF_LIVES ? 0 : 0.5 ** halfLives;
}

/**
 * Evidence this many half-lives old weighs under 1e-18 of what it did: it counts as none. Postgres
 * needs the cut (`power()` and products that round to zero fail with "underflow" instead of giving
 * 0, which would stop every fold with a short PERFORMANCE_HALF_LIFE_DAYS); here it keeps the two alike.
 */
export const FORGOTTEN_AFTER_HALF_LIVES = 60;

/**
 * Scores at `at`: the prior (registered baseline, worth `priorWeight` observations) blended with
 * the decayed evidence. No evidence gives the prior; old evidence fades back towards it.
 */
export function scoresAt(sums: DecayedSums | null, prior: PriorScores, at: Date, rules: ScoringRules): ModelScores {
  if (!sums) return { quality: prior.quality, successRate: prior.successRate };
  const decay = decayFactor(at.getTime() - sums.decayedTo.getTime(), rules.halfLifeMs);
  const p = rules.priorWeight;
  const pq = qualityPriorWeight(prior, rules);
  return {
    quality: clamp01((pq * prior.quality + decay * sums.qualitySum) / (pq + decay * sums.qualityWeight)),
    successRate: clamp01((p * prior.successRate + decay * sums.successSum) / (p + decay * sums.weightSum)),
  };
}

/** A Beta distribution over a rate in 0..1, as pseudo-counts of successes (`alpha`) and failures (`beta`). */
export interface BetaParams {
  alpha: number;
  beta: number;
}

/** What is believed about one model for one task type: quality and success rate, each a Beta posterior. */
export interface ScorePosterior {
  quality: BetaParams;
  success: BetaParams;
}

/**
 * The posterior behind `scoresAt`, whose means it equals; routing samples from it. The prior is
 * `priorWeight` pseudo-observations at the baseline (the neutral quality prior: its own weight),
 * each unit of decayed evidence weight one observation.
 * - Success: Beta(prior successes + successes, prior failures + failures).
 * - Quality: a Beta with the quality score as its mean and a concentration from the spread of the
 *   ratings. The prior's pseudo-observations count as 0/1 outcomes (the widest spread), so with no
 *   evidence, or with ratings of only 0 and 1, this is exactly Beta(prior + sum of q, prior + sum of
 *   1 - q); ratings that agree (say 0.8, 0.85, 0.8) make it narrower, as they should: a graded
 *   rating tells more than a coin toss.
 */
export function posteriorAt(sums: DecayedSums | null, prior: PriorScores, at: Date, rules: ScoringRules): ScorePosterior {
  const decay = sums ? decayFactor(at.getTime() - sums.decayedTo.getTime(), rules.halfLifeMs) : 0;
  const evidence = {
    weight: decay * (sums?.weightSum ?? 0),
    successes: decay * (sums?.successSum ?? 0),
    qualityWeight: decay * (sums?.qualityWeight ?? 0),
    quality: decay * (sums?.qualitySum ?? 0),
    qualitySquares: decay * (sums?.qualitySqSum ?? 0),
  };
  const p = rules.priorWeight;
  const pq = qualityPriorWeight(prior, rules);
  const quality = qualityPosterior(pq + evidence.qualityWeight, pq * prior.quality + evidence.quality, pq * prior.quality + evidence.qualitySquares);
  const success = beta(p * prior.successRate + evidence.successes, p * (1 - prior.successRate) + evidence.weight - evidence.successes);
  return { quality, success };
}

/** Most a quality posterior may concentrate: ratings that all agree must not make it a point. */
const MAX_CONCENTRATION = 1e6;

/**
 * The Beta of a mean from `n` weighted observations with sum `sum` and sum of squares `squares`:
 * mean sum / n; the mean's variance is the observations' variance over n + 1, which for 0/1
 * observations gives exactly Beta(sum, n - sum).
 */
function qualityPosterior(n: number, sum: number, squares: number): BetaParams {
  if (!(n > 0)) return beta(0, 0);
  const mean = Math.min(1, Math.max(0, sum / n));
  const bernoulliSpread = mean * (1 - mean);
  const spread = Math.min(bernoulliSpread, Math.max(0, squares / n - mean * mean));
  const concentration = spread > 0 ? Math.min(MAX_CONCENTRATION, ((n + 1) * bernoulliSpread) / spread - 1) : MAX_CONCENTRATION;
  return beta(mean * concentration, (1 - mean) * concentration);
}

export function betaMean({ alpha, beta }: BetaParams): number {
  return alpha / (alpha + beta);
}

/** Pseudo-counts below this are raised to it, so a Beta stays proper (e.g. with PERFORMANCE_PRIOR_WEIGHT=0 and no evidence). */
const MIN_PSEUDO_COUNT = 1e-3;

function beta(alpha: number, betaCount: number): BetaParams {
  const safe = (x: number) => (Number.isFinite(x) ? Math.max(MIN_PSEUDO_COUNT, x) : MIN_PSEUDO_COUNT);
  return { alpha: safe(alpha), beta: safe(betaCount) };
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

export function meanScores(posterior: ScorePosterior): ModelScores {
  return { quality: betaMean(posterior.quality), successRate: betaMean(posterior.success) };
}
