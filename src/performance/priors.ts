import { ModelEntity } from '../models/model.entity';
import { PriorScores } from './scoring';

/** Quality assumed for a model registered without any baseline: the middle of the scale. */
export const NEUTRAL_QUALITY = 0.5;
/**
 * What that neutral assumption is worth, in observations: Beta(1, 1), uniform over 0..1, makes no
 * claim either way, so the first ratings decide and routing tries such a model early. A registered
 * baseline is a claim, worth PERFORMANCE_PRIOR_WEIGHT observations.
 */
export const NEUTRAL_PRIOR_WEIGHT = 2;
/** Success rate assumed before any observation: most provider calls succeed. */
export const PRIOR_SUCCESS_RATE = 0.9;

/** A model's registered starting point for a task type: the task's baseline, else its overall one, else the neutral prior. */
export function baselineScores(model: ModelEntity, taskType: string): PriorScores {
  const baseline = model.performanceBaseline;
  // An own key only: a task type such as `constructor` must not read the object's prototype.
  const taskSpecific = baseline.task_specific;
  const registered = (taskSpecific && Object.hasOwn(taskSpecific, taskType) ? taskSpecific[taskType] : undefined) ?? baseline.quality_score;
  return registered === undefined
    ? { quality: NEUTRAL_QUALITY, successRate: PRIOR_SUCCESS_RATE, qualityWeight: NEUTRAL_PRIOR_WEIGHT }
    : { quality: registered, successRate: PRIOR_SUCCESS_RATE };
}
