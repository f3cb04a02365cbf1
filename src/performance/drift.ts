/**
 * Drift of a model's quality on kinds learned from prompts (docs/routing.md, 'Drift across kinds'). A family of
 * requests is often spread over several kinds, and each kind alone sees too few ratings to notice
 * quickly that a model got worse. So the change signal is shared across the model's kinds, the
 * discount is not: a one-sided CUSUM of how far ratings fall below each kind's own evidence mean
 * runs per model (across its kinds) and per (model, kind). When both are past their thresholds, that
 * kind's old quality evidence shrinks to a few ratings' worth (its mean kept), so the new ratings
 * decide within a few requests. A false alarm so costs little: the mean stays, only confidence goes.
 */

export interface DriftRules {
  /** A rating must fall this far below the expected quality before it counts as surprise (noise is absorbed). */
  slack: number;
  /** Surprise across the model's kinds (in weight x quality) that says the model changed. */
  modelThreshold: number;
  /** Surprise in one kind that says the change shows there too (more than one rating's worth). */
  kindThreshold: number;
  /** Quality evidence weight a kind needs before its mean is trusted as the expectation. */
  minEvidence: number;
  /** Quality evidence weight a drifted kind keeps. */
  keptEvidence: number;
}

/** Measured on the evaluation without task types (docs/routing.md); weights are in observations (a rating is FEEDBACK_WEIGHT). */
export const DRIFT_RULES: DriftRules = { slack: 0.1, modelThreshold: 2, kindThreshold: 1, minEvidence: 12, keptEvidence: 6 };

/** What a kind's evidence expects of the model: its decayed quality weight and mean (no prior). */
export interface KindEvidence {
  weight: number;
  mean: number;
}

export interface DriftStatistics {
  model: number;
  kind: number;
}

export interface DriftStep {
  statistics: DriftStatistics;
  /** The kind's old quality evidence is to shrink to `keptEvidence`. */
  drifted: boolean;
}

/**
 * One rating of a model on a kind: the updated statistics, and whether the kind drifted (its
 * statistic then starts again). A kind with too little evidence sets no expectation and changes nothing.
 */
export function observeRating(statistics: DriftStatistics, evidence: KindEvidence | null, rating: { quality: number; weight: number }, rules: DriftRules): DriftStep {
  if (!evidence || evidence.weight < rules.minEvidence || !(rating.weight > 0)) return { statistics, drifted: false };
  const surprise = rating.weight * (evidence.mean - rating.quality - rules.slack);
  const model = Math.max(0, statistics.model + surprise);
  const kind = Math.max(0, statistics.kind + surprise);
  const drifted = model >= rules.modelThreshold && kind >= rules.kindThreshold;
  return { statistics: { model, kind: drifted ? 0 : kind }, drifted };
}
