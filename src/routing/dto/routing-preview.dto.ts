import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { TASK_TYPE_OR_KIND, TASK_TYPE_OR_KIND_MESSAGE } from '../../common/validation/task-type';
import { meanScores } from '../../performance/scoring';
import { successWeight, utilityOf } from '../ranking';
import type { RoutingPreview } from '../routing.service';

export class RoutingPreviewQueryDto {
  @ApiProperty({ example: 'code_generation', description: 'The task type of the chat request to rank candidates for, or a learned kind (kind-07)' })
  @Matches(TASK_TYPE_OR_KIND, { message: `task_type must be ${TASK_TYPE_OR_KIND_MESSAGE}` })
  task_type: string;
}

export class RoutingCandidateView {
  @ApiProperty({ example: 1, description: 'Position in the order routing tries candidates (1 = selected)' })
  rank: number;

  @ApiProperty({ example: 'gpt-4o' })
  model_id: string;

  @ApiProperty({ example: 'openai' })
  provider: string;

  @ApiProperty({ example: 0.86, description: 'Posterior mean quality for the task type' })
  quality_score: number;

  @ApiProperty({ example: 0.97, description: 'Posterior mean success rate for the task type' })
  success_rate: number;

  @ApiProperty({ example: 0.00512, description: 'Expected cost of the request in USD (see weights)' })
  expected_cost: number;

  @ApiProperty({ example: 0.894, description: 'weights.quality * quality_score + weights.success_rate * success_rate - weights.cost_per_usd * expected_cost' })
  utility: number;
}

export class RoutingRejectionView {
  @ApiProperty({ example: 'gpt-4o-mini' })
  model_id: string;

  @ApiProperty({ example: 'unavailable: no API key: set OPENAI_API_KEY or register configuration.api_key' })
  reason: string;
}

export class UtilityWeightsView {
  @ApiProperty({ example: 0.65 })
  quality: number;

  @ApiProperty({ example: 0.35 })
  success_rate: number;

  @ApiProperty({ example: 1, description: 'Utility given up per US dollar of expected cost (ROUTING_COST_WEIGHT)' })
  cost_per_usd: number;
}

export class ExpectedTokensView {
  @ApiProperty({ example: 0 })
  prompt: number;

  @ApiProperty({ example: 512, description: 'A request without max_tokens is expected to use this many' })
  completion: number;
}

/** `GET /api/models/routing`: how routing ranks models for a chat request of one task type, and why. */
export class RoutingPreviewView {
  @ApiProperty({ example: 'code_generation' })
  task_type: string;

  @ApiProperty({ example: 'gpt-4o', nullable: true, type: String, description: 'The first candidate; null when no model is eligible' })
  selected_model_id: string | null;

  @ApiProperty({ type: ExpectedTokensView, description: 'Tokens the ranked request is expected to use, from which expected_cost is computed' })
  expected_tokens: ExpectedTokensView;

  @ApiProperty({ type: UtilityWeightsView })
  weights: UtilityWeightsView;

  @ApiProperty({ type: [RoutingCandidateView], description: 'Eligible models, in the order routing would try them' })
  candidates: RoutingCandidateView[];

  @ApiProperty({ type: [RoutingRejectionView], description: 'Models that cannot serve the request, with the reason' })
  rejected: RoutingRejectionView[];
}

export function toRoutingPreviewView(preview: RoutingPreview): RoutingPreviewView {
  const { costWeight, reliability } = preview.policy;
  const success = successWeight(reliability);
  return {
    task_type: preview.taskType,
    selected_model_id: preview.candidates[0]?.model.id ?? null,
    expected_tokens: preview.expectedTokens,
    weights: { quality: round(1 - success), success_rate: round(success), cost_per_usd: costWeight },
    candidates: preview.candidates.map((candidate, index) => {
      const scores = meanScores(candidate.posterior);
      return {
        rank: index + 1,
        model_id: candidate.model.id,
        provider: candidate.model.provider,
        quality_score: round(scores.quality),
        success_rate: round(scores.successRate),
        expected_cost: round(candidate.expectedCost),
        utility: round(utilityOf(scores, candidate.expectedCost, costWeight, reliability)),
      };
    }),
    rejected: preview.rejected.map(({ model_id, reason }) => ({ model_id, reason })),
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
