import { ModelEntity } from '../models/model.entity';
import { baselineScores, NEUTRAL_PRIOR_WEIGHT } from './priors';

const model = (performanceBaseline: ModelEntity['performanceBaseline']) => Object.assign(new ModelEntity(), { id: 'm', performanceBaseline });

describe('baselineScores', () => {
  it("takes the task's registered baseline, else the overall one, at the configured prior weight", () => {
    const m = model({ quality_score: 0.7, task_specific: { code_generation: 0.9 } });
    expect(baselineScores(m, 'code_generation')).toEqual({ quality: 0.9, successRate: 0.9 });
    expect(baselineScores(m, 'reasoning')).toEqual({ quality: 0.7, successRate: 0.9 });
  });

  it('gives a model registered without any baseline a neutral, uniform prior', () => {
    expect(baselineScores(model({}), 'reasoning')).toEqual({ quality: 0.5, successRate: 0.9, qualityWeight: NEUTRAL_PRIOR_WEIGHT });
    expect(NEUTRAL_PRIOR_WEIGHT).toBe(2);
  });

  it('reads only task types registered on the model, never names its object inherits', () => {
    const m = model({ quality_score: 0.7, task_specific: { code_generation: 0.9 } });
    for (const inherited of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      expect(baselineScores(m, inherited)).toEqual({ quality: 0.7, successRate: 0.9 });
    }
    expect(baselineScores(model({}), 'constructor')).toEqual({ quality: 0.5, successRate: 0.9, qualityWeight: NEUTRAL_PRIOR_WEIGHT });
  });
});
