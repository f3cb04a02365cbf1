import { ModelEntity } from '../models/model.entity';
import { ModelScores } from '../routing/ranking';

/** Quality assumed for a model registered without any baseline: the middle of the scale. */
export const NEUTRAL_QUALITY = 0.5;
/** Success rate assumed before any observation: most provider calls succeed. */
export const PRIOR_SUCCESS_RATE = 0.9;

/** A model's registered starting point for a task type: the task's baseline, else its overall one. */
export function baselineScores(model: ModelEntity, taskType: string): ModelScores {
  const baseline = model.performanceBaseline;
  return {
    quality: baseline.task_specific?.[taskType] ?? baseline.quality_score ?? NEUTRAL_QUALITY,
    successRate: PRIOR_SUCCESS_RATE,
  };
}
