import { ModelScores } from '../routing/ranking';

/** Evidence about one model for one task type ('*': overall), as time-decayed weighted sums. */
export interface DecayedSums {
  weightSum: number;
  successSum: number;
  /** Only observations that carry a quality signal count here. */
  qualityWeight: number;
  qualitySum: number;
  /** The instant the sums are decayed to. */
  decayedTo: Date;
}

export interface ScoringRules {
  /** Evidence loses half its weight every this many milliseconds. */
  halfLifeMs: number;
  /** How many observations the registered baseline is worth. */
  priorWeight: number;
}

/** The overall row of a model in `performance_scores`. */
export const ALL_TASKS = '*';

/** Weight left after `elapsedMs` of exponential decay; evidence from the future does not gain weight. */
export function decayFactor(elapsedMs: number, halfLifeMs: number): number {
  return elapsedMs <= 0 ? 1 : 0.5 ** (elapsedMs / halfLifeMs);
}

/**
 * Scores at `at`: the prior (registered baseline, worth `priorWeight` observations) blended with
 * the decayed evidence. No evidence gives the prior; old evidence fades back towards it.
 */
export function scoresAt(sums: DecayedSums | null, prior: ModelScores, at: Date, rules: ScoringRules): ModelScores {
  if (!sums) return prior;
  const decay = decayFactor(at.getTime() - sums.decayedTo.getTime(), rules.halfLifeMs);
  const p = rules.priorWeight;
  return {
    quality: clamp01((p * prior.quality + decay * sums.qualitySum) / (p + decay * sums.qualityWeight)),
    successRate: clamp01((p * prior.successRate + decay * sums.successSum) / (p + decay * sums.weightSum)),
  };
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
