import { decayFactor, DecayedSums, ScoringRules, scoresAt } from './scoring';

const DAY = 24 * 60 * 60 * 1000;
const rules: ScoringRules = { halfLifeMs: 30 * DAY, priorWeight: 5 };
const prior = { quality: 0.8, successRate: 0.9 };
const now = new Date('2026-11-28T12:00:00Z');

function sums(partial: Partial<DecayedSums>): DecayedSums {
  return { weightSum: 0, successSum: 0, qualityWeight: 0, qualitySum: 0, decayedTo: now, ...partial };
}

describe('scoresAt', () => {
  it('is the prior when there is no history', () => {
    expect(scoresAt(null, prior, now, rules)).toEqual(prior);
    expect(scoresAt(sums({}), prior, now, rules)).toEqual(prior);
  });

  it('blends the prior, worth priorWeight observations, with the evidence', () => {
    // 5 prior samples at 0.8 and 5 observed at 0.2 average to 0.5.
    expect(scoresAt(sums({ qualityWeight: 5, qualitySum: 1 }), prior, now, rules).quality).toBeCloseTo(0.5, 12);
    // 5 prior at 0.9 and 10 failures: 4.5 / 15.
    expect(scoresAt(sums({ weightSum: 10, successSum: 0 }), prior, now, rules).successRate).toBeCloseTo(0.3, 12);
  });

  it('counts a weight-3 observation as three weight-1 observations of the same value', () => {
    const once = scoresAt(sums({ qualityWeight: 3, qualitySum: 3 * 0.2 }), prior, now, rules);
    const thrice = scoresAt(sums({ qualityWeight: 1 + 1 + 1, qualitySum: 0.2 + 0.2 + 0.2 }), prior, now, rules);
    expect(once.quality).toBeCloseTo(thrice.quality, 12);
  });

  it('lets old evidence fade back towards the prior: after one half-life it counts half', () => {
    const fresh = sums({ qualityWeight: 10, qualitySum: 0, decayedTo: new Date(now.getTime() - 30 * DAY) });
    // Decayed to weight 5 at quality 0 against the prior's 5 at 0.8.
    expect(scoresAt(fresh, prior, now, rules).quality).toBeCloseTo(0.4, 12);
  });

  it('keeps quality and success apart: observations without a quality signal leave quality at the prior', () => {
    const scores = scoresAt(sums({ weightSum: 20, successSum: 20 }), prior, now, rules);
    expect(scores.quality).toBe(0.8);
    expect(scores.successRate).toBeCloseTo((4.5 + 20) / 25, 12);
  });

  it('clamps to 0..1 whatever the sums', () => {
    expect(scoresAt(sums({ qualityWeight: 1, qualitySum: 50 }), prior, now, rules).quality).toBe(1);
    expect(scoresAt(sums({ qualityWeight: -5, qualitySum: 1 }), prior, now, rules).quality).toBe(0);
  });
});

describe('decayFactor', () => {
  it('halves per half-life and never grows for evidence from the future', () => {
    expect(decayFactor(0, DAY)).toBe(1);
    expect(decayFactor(DAY, DAY)).toBeCloseTo(0.5, 12);
    expect(decayFactor(2 * DAY, DAY)).toBeCloseTo(0.25, 12);
    expect(decayFactor(-DAY, DAY)).toBe(1);
  });
});
