import { ModelEntity } from '../models/model.entity';
import { ScorePosterior } from '../performance/scoring';
import {
  Candidate,
  capabilityProblem,
  costPer1k,
  costProblem,
  defaultTemperature,
  expectedCost,
  explorationRate,
  rank,
  RankingPolicy,
  RoutingNeeds,
  utilityOf,
} from './ranking';
import { seededRandom } from './random-source';

function model(id: string, overrides: Partial<ModelEntity> = {}): ModelEntity {
  return Object.assign(new ModelEntity(), {
    id,
    provider: 'openai',
    capabilities: ['chat', 'completion'],
    contextLength: 8000,
    tokenLimit: 4000,
    priceInput: 0.001,
    priceOutput: 0.002,
    ...overrides,
  });
}

const needs = (overrides: Partial<RoutingNeeds> = {}): RoutingNeeds => ({
  anyOf: ['chat'],
  allOf: [],
  promptTokensAtMost: 10,
  maxTokens: undefined,
  minQuality: undefined,
  reliability: undefined,
  ...overrides,
});

/** Beliefs worth `evidence` observations at the given means. */
function posterior(quality: number, successRate: number, evidence = 100): ScorePosterior {
  return {
    quality: { alpha: quality * evidence, beta: (1 - quality) * evidence },
    success: { alpha: successRate * evidence, beta: (1 - successRate) * evidence },
  };
}

function candidate(id: string, quality: number, successRate: number, cost = 0.001, evidence = 100): Candidate {
  return { model: model(id), posterior: posterior(quality, successRate, evidence), expectedCost: cost };
}

const policy = (overrides: Partial<RankingPolicy> = {}): RankingPolicy => ({ reliability: undefined, costWeight: 1, exploration: 0, ...overrides });
const ids = (candidates: Candidate[]) => candidates.map((c) => c.model.id);
const noRandom = () => {
  throw new Error('deterministic ranking must not draw');
};

/** How often each candidate comes first over many Thompson draws. */
function firstChoiceShares(candidates: Candidate[], p: RankingPolicy, draws = 4000, seed = 7): Record<string, number> {
  const random = seededRandom(seed);
  const counts: Record<string, number> = {};
  for (let i = 0; i < draws; i += 1) {
    const first = rank(candidates, p, random)[0].model.id;
    counts[first] = (counts[first] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([id, n]) => [id, n / draws]));
}

describe('capabilityProblem', () => {
  it('accepts a model with any of the serving capabilities and all required ones', () => {
    expect(capabilityProblem(model('m', { capabilities: ['completion', 'code'] }), needs({ anyOf: ['completion', 'chat'], allOf: ['code'] }))).toBeNull();
  });

  it('names the missing serving capability', () => {
    expect(capabilityProblem(model('m', { capabilities: ['embedding'] }), needs())).toBe('it has none of the capabilities chat');
  });

  it('names missing required capabilities', () => {
    expect(capabilityProblem(model('m'), needs({ allOf: ['code', 'vision'] }))).toBe('it lacks the required capabilities code, vision');
  });

  it('refuses max_tokens above the model token limit', () => {
    expect(capabilityProblem(model('m', { tokenLimit: 100 }), needs({ maxTokens: 101 }))).toContain('exceeds its token limit 100');
  });
});

describe('expected cost', () => {
  it('prices the prompt at 4 bytes per token and max_tokens of output, 512 when unset', () => {
    const m = model('m', { priceInput: 0.01, priceOutput: 0.03 });
    expect(expectedCost(m, needs({ promptTokensAtMost: 4000, maxTokens: 200 }))).toBeCloseTo((1000 * 0.01 + 200 * 0.03) / 1000, 12);
    expect(expectedCost(m, needs({ promptTokensAtMost: 0 }))).toBeCloseTo((512 * 0.03) / 1000, 12);
  });

  it('gives the price per 1K tokens at the request mix of input and output', () => {
    const m = model('m', { priceInput: 0.01, priceOutput: 0.03 });
    expect(costPer1k(m, needs({ promptTokensAtMost: 4000, maxTokens: 1000 }))).toBeCloseTo(0.02, 12);
  });

  it('rejects a model above max_cost_per_1k, and only then', () => {
    const dear = model('dear', { priceInput: 0.01, priceOutput: 0.03 });
    const request = needs({ promptTokensAtMost: 4000, maxTokens: 1000, maxCostPer1k: 0.015 });
    expect(costProblem(dear, request)).toBe('its cost per 1K tokens 0.02 is above max_cost_per_1k 0.015');
    expect(costProblem(model('cheap', { priceInput: 0.0001, priceOutput: 0.0002 }), request)).toBeNull();
    expect(costProblem(dear, needs())).toBeNull();
  });
});

describe('utilityOf', () => {
  it('weights success rate from 20% at reliability 0 to 50% at reliability 1', () => {
    expect(utilityOf({ quality: 1, successRate: 0 }, 0, 1, 0)).toBeCloseTo(0.8);
    expect(utilityOf({ quality: 1, successRate: 0 }, 0, 1, 1)).toBeCloseTo(0.5);
    expect(utilityOf({ quality: 1, successRate: 0 }, 0, 1)).toBeCloseTo(0.65);
  });

  it('subtracts the expected cost times the cost weight: one dollar is one point of quality at weight 1', () => {
    expect(utilityOf({ quality: 0.8, successRate: 1 }, 0.05, 1) - utilityOf({ quality: 0.8, successRate: 1 }, 0, 1)).toBeCloseTo(-0.05, 12);
    expect(utilityOf({ quality: 0.8, successRate: 1 }, 0.05, 0)).toBe(utilityOf({ quality: 0.8, successRate: 1 }, 0, 0));
  });
});

describe('rank without exploration (ROUTING_EXPLORATION=off)', () => {
  it('puts the highest expected utility first, and never draws a random number', () => {
    const order = rank([candidate('ok', 0.6, 0.9), candidate('best', 0.9, 0.9), candidate('poor', 0.3, 0.9)], policy(), noRandom);
    expect(ids(order)).toEqual(['best', 'ok', 'poor']);
  });

  it('lets reliability favour the model that fails less over a slightly better one', () => {
    const flaky = candidate('flaky', 0.9, 0.6);
    const steady = candidate('steady', 0.7, 0.99);
    expect(ids(rank([flaky, steady], policy({ reliability: 0 }), noRandom))[0]).toBe('flaky');
    expect(ids(rank([flaky, steady], policy({ reliability: 1 }), noRandom))[0]).toBe('steady');
  });

  it('takes a 100x dearer model only when it is better by more than its extra cost', () => {
    const cheap = candidate('cheap', 0.8, 0.95, 0.0005);
    // 0.65 * 0.05 = 0.0325 of quality against 0.05 - 0.0005 of extra cost: not worth it.
    expect(ids(rank([candidate('premium', 0.85, 0.95, 0.05), cheap], policy(), noRandom))[0]).toBe('cheap');
    // 0.65 * 0.15 = 0.0975 against 0.0495: worth it.
    expect(ids(rank([candidate('premium', 0.95, 0.95, 0.05), cheap], policy(), noRandom))[0]).toBe('premium');
    // With cost weighted at 0, quality alone decides.
    expect(ids(rank([candidate('premium', 0.85, 0.95, 0.05), cheap], policy({ costWeight: 0 }), noRandom))[0]).toBe('premium');
  });

  it('breaks ties by the cheaper model, then by id, so the order is deterministic', () => {
    expect(ids(rank([candidate('b', 0.8, 0.9), candidate('a', 0.8, 0.9)], policy({ costWeight: 0 }), noRandom))).toEqual(['a', 'b']);
    expect(ids(rank([candidate('a', 0.8, 0.9, 0.002), candidate('b', 0.8, 0.9, 0.001)], policy({ costWeight: 0 }), noRandom))).toEqual(['b', 'a']);
  });
});

describe('rank with Thompson sampling', () => {
  it('is reproducible with a seed', () => {
    const candidates = [candidate('a', 0.7, 0.9, 0.001, 10), candidate('b', 0.72, 0.9, 0.001, 10), candidate('c', 0.68, 0.9, 0.001, 10)];
    const run = () => Array.from({ length: 50 }, ((random) => () => rank(candidates, policy({ exploration: 1 }), random)[0].model.id)(seededRandom(42)));
    const once = run();
    expect(once).toEqual(run());
  });

  it('tries an under-sampled model in proportion to its chance of being the best', () => {
    const known = candidate('known', 0.75, 0.95, 0.001, 300);
    const unknown = candidate('unknown', 0.7, 0.95, 0.001, 6);
    const shares = firstChoiceShares([known, unknown], policy({ exploration: 1 }));
    // Beta(4.2, 1.8) beats a near-certain 0.75 about a third of the time.
    expect(shares.unknown).toBeGreaterThan(0.2);
    expect(shares.unknown).toBeLessThan(0.5);
  });

  it('stops exploring a model once the evidence shows it is worse', () => {
    const shares = firstChoiceShares([candidate('best', 0.85, 0.97, 0.001, 90), candidate('worse', 0.7, 0.97, 0.001, 90)], policy({ exploration: 1 }));
    expect(shares.worse ?? 0).toBeLessThan(0.01);
  });

  it('explores a 200x dearer model only while it could beat the cheap one by more than its cost', () => {
    const cheap = candidate('cheap', 0.8, 0.97, 0.0005, 90);
    const free = firstChoiceShares([cheap, candidate('premium', 0.8, 0.97, 0.0005, 8)], policy({ exploration: 1 }));
    const dear = firstChoiceShares([cheap, candidate('premium', 0.8, 0.97, 0.1, 8)], policy({ exploration: 1 }));
    expect(free.premium).toBeGreaterThan(0.35);
    expect(dear.premium).toBeLessThan(free.premium / 2);
  });

  it('explores on the configured share of requests, less for callers asking for reliability', () => {
    const candidates = [candidate('known', 0.75, 0.95, 0.001, 300), candidate('unknown', 0.7, 0.95, 0.001, 6)];
    const full = firstChoiceShares(candidates, policy({ exploration: 1 })).unknown;
    const half = firstChoiceShares(candidates, policy({ exploration: 0.5 })).unknown;
    expect(half / full).toBeCloseTo(0.5, 1);
    expect(explorationRate(policy({ exploration: 0.8, reliability: 0.5 }))).toBeCloseTo(0.4, 12);
    // A caller that asks for full reliability always gets the best expected model.
    expect(ids(rank(candidates, policy({ exploration: 1, reliability: 1 }), noRandom))[0]).toBe('known');
  });

  it('keeps the fallbacks in order of expected utility', () => {
    const candidates = [candidate('a', 0.9, 0.95), candidate('b', 0.8, 0.95), candidate('c', 0.7, 0.95), candidate('new', 0.5, 0.9, 0.001, 2)];
    const random = seededRandom(3);
    for (let i = 0; i < 200; i += 1) {
      const [first, ...rest] = ids(rank(candidates, policy({ exploration: 1 }), random));
      expect(rest).toEqual(['a', 'b', 'c', 'new'].filter((id) => id !== first));
    }
  });
});

describe('defaultTemperature', () => {
  it('leaves the provider default when neither creativity nor reliability is given', () => {
    expect(defaultTemperature(undefined, undefined)).toBeUndefined();
  });

  it('maps creativity 0..1 to 0.2..1.2', () => {
    expect(defaultTemperature(0, undefined)).toBe(0.2);
    expect(defaultTemperature(1, undefined)).toBe(1.2);
  });

  it('scales the temperature down with reliability', () => {
    expect(defaultTemperature(undefined, 1)).toBe(0.14);
    expect(defaultTemperature(1, 0.5)).toBe(0.72);
  });
});
