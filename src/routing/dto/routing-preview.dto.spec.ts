import { ModelEntity } from '../../models/model.entity';
import { PlannedCandidate, RoutingPreview } from '../routing.service';
import { toRoutingPreviewView } from './routing-preview.dto';

function candidate(id: string, quality: [number, number], success: [number, number], expectedCost: number): PlannedCandidate {
  const model = Object.assign(new ModelEntity(), { id, provider: 'anthropic' });
  const posterior = { quality: { alpha: quality[0], beta: quality[1] }, success: { alpha: success[0], beta: success[1] } };
  return {
    model,
    target: {} as PlannedCandidate['target'],
    posterior,
    scores: { quality: quality[0] / (quality[0] + quality[1]), successRate: success[0] / (success[0] + success[1]) },
    expectedCost,
  };
}

const preview = (overrides: Partial<RoutingPreview> = {}): RoutingPreview => ({
  taskType: 'code_generation',
  policy: { reliability: undefined, costWeight: 2, exploration: 0 },
  expectedTokens: { prompt: 0, completion: 512 },
  candidates: [candidate('first', [8, 2], [9, 1], 0.01), candidate('second', [6, 4], [3, 1], 0)],
  rejected: [{ model_id: 'gone', reason: 'circuit open until 2026-03-01T12:00:30.000Z after 5 consecutive failures' }],
  ...overrides,
});

describe('toRoutingPreviewView', () => {
  it('lists candidates in order with their posterior means, expected cost and the utility that ranked them', () => {
    const view = toRoutingPreviewView(preview());
    expect(view).toEqual({
      task_type: 'code_generation',
      selected_model_id: 'first',
      expected_tokens: { prompt: 0, completion: 512 },
      weights: { quality: 0.65, success_rate: 0.35, cost_per_usd: 2 },
      candidates: [
        { rank: 1, model_id: 'first', provider: 'anthropic', quality_score: 0.8, success_rate: 0.9, expected_cost: 0.01, utility: 0.815 },
        { rank: 2, model_id: 'second', provider: 'anthropic', quality_score: 0.6, success_rate: 0.75, expected_cost: 0, utility: 0.6525 },
      ],
      rejected: [{ model_id: 'gone', reason: 'circuit open until 2026-03-01T12:00:30.000Z after 5 consecutive failures' }],
    });
  });

  it('weights success up as the policy asks for reliability', () => {
    const view = toRoutingPreviewView(preview({ policy: { reliability: 1, costWeight: 0, exploration: 0 } }));
    expect(view.weights).toEqual({ quality: 0.5, success_rate: 0.5, cost_per_usd: 0 });
    expect(view.candidates[0].utility).toBeCloseTo(0.5 * 0.8 + 0.5 * 0.9, 6);
  });

  it('selects nothing when no model is eligible', () => {
    const view = toRoutingPreviewView(preview({ candidates: [] }));
    expect(view.selected_model_id).toBeNull();
    expect(view.candidates).toEqual([]);
    expect(view.rejected).toHaveLength(1);
  });
});
