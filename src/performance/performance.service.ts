import { Injectable } from '@nestjs/common';
import { ModelEntity } from '../models/model.entity';
import { ModelScores } from '../routing/ranking';
import { baselineScores } from './priors';

/**
 * Scores of models per task type, read by routing and reported in responses. Until observations
 * are recorded, a model's scores are its registered baseline.
 */
@Injectable()
export class PerformanceService {
  scoresFor(model: ModelEntity, taskType: string): ModelScores {
    return baselineScores(model, taskType);
  }
}
