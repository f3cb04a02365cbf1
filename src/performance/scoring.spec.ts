import { betaMean, decayFactor, DecayedSums, FORGOTTEN_AFTER_HALF_LIVES, posteriorAt, ScoringRules, scoresAt } from './scoring';

const DAY = 24 * 60 * 60 * 1000;
const rules: ScoringRules = { halfLifeMs: 30 * DAY, priorWeight: 5, maxEvidence: 90 };
const prior = { quality: 0.8, successRate: 0.9 };
const now = new Date('2026-11-28T12:00:00Z');

function sums(partial: Partial<DecayedSums>): DecayedSums {
  // Unless given, the ratings were all 0 or 1 (sum of squares = sum), the widest spread.
  return { weightSum: 0, successSum: 0, qualityWeight: 0, qualitySum: 0, qualitySqSum: partial.qualitySum ?? 0, decayedTo: now, ...partial };
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

describe('posteriorAt', () => {
  it('is the prior worth priorWeight pseudo-observations when there is no history', () => {
    expect(posteriorAt(null, prior, now, rules)).toEqual({
      quality: { alpha: expect.closeTo(4, 12), beta: expect.closeTo(1, 12) },
      success: { alpha: expect.closeTo(4.5, 12), beta: expect.closeTo(0.5, 12) },
    });
  });

  it('gives a model with neither history nor baseline a uniform quality prior, which its first ratings outweigh', () => {
    const neutral = { quality: 0.5, successRate: 0.9, qualityWeight: 2 };
    expect(posteriorAt(null, neutral, now, rules).quality).toEqual({ alpha: 1, beta: 1 });
    // One rating of 1 with weight 3 against the uniform prior worth 2.
    expect(scoresAt(sums({ qualityWeight: 3, qualitySum: 3 }), neutral, now, rules).quality).toBeCloseTo(4 / 5, 12);
    // Never worth more than the configured prior weight.
    expect(posteriorAt(null, neutral, now, { ...rules, priorWeight: 1 }).quality).toEqual({ alpha: 0.5, beta: 0.5 });
  });

  it('adds the decayed evidence as pseudo-counts, a quality q counting q of a success', () => {
    const evidence = sums({ weightSum: 10, successSum: 8, qualityWeight: 6, qualitySum: 3, decayedTo: new Date(now.getTime() - 30 * DAY) });
    const { quality, success } = posteriorAt(evidence, prior, now, rules);
    expect(quality.alpha).toBeCloseTo(4 + 1.5, 12);
    expect(quality.beta).toBeCloseTo(1 + 1.5, 12);
    expect(success.alpha).toBeCloseTo(4.5 + 4, 12);
    expect(success.beta).toBeCloseTo(0.5 + 1, 12);
  });

  it('narrows the quality posterior when the ratings agree, keeping its mean', () => {
    // Six ratings of 0.5 (weight 1 each) against 0/1 outcomes averaging 0.5.
    const agreeing = posteriorAt(sums({ qualityWeight: 6, qualitySum: 3, qualitySqSum: 6 * 0.25 }), prior, now, rules).quality;
    const coinTosses = posteriorAt(sums({ qualityWeight: 6, qualitySum: 3 }), prior, now, rules).quality;
    expect(betaMean(agreeing)).toBeCloseTo(betaMean(coinTosses), 12);
    expect(coinTosses.alpha + coinTosses.beta).toBeCloseTo(11, 12);
    expect(agreeing.alpha + agreeing.beta).toBeGreaterThan(2 * (coinTosses.alpha + coinTosses.beta));
  });

  it('has the scores as its means', () => {
    const evidence = sums({ weightSum: 12, successSum: 7, qualityWeight: 9, qualitySum: 2.5, decayedTo: new Date(now.getTime() - 3 * DAY) });
    const scores = scoresAt(evidence, prior, now, rules);
    const posterior = posteriorAt(evidence, prior, now, rules);
    expect(betaMean(posterior.quality)).toBeCloseTo(scores.quality, 12);
    expect(betaMean(posterior.success)).toBeCloseTo(scores.successRate, 12);
  });

  it('stays a proper distribution with a zero prior weight and no evidence', () => {
    const { quality } = posteriorAt(null, prior, now, { ...rules, priorWeight: 0 });
    expect(quality.alpha).toBeGreaterThan(0);
    expect(quality.beta).toBeGreaterThan(0);
  });
});

describe('decayFactor', () => {
  it('halves per half-life and never grows for evidence from the future', () => {
    expect(decayFactor(0, DAY)).toBe(1);
    expect(decayFactor(DAY, DAY)).toBeCloseTo(0.5, 12);
    expect(decayFactor(2 * DAY, DAY)).toBeCloseTo(0.25, 12);
    expect(decayFactor(-DAY, DAY)).toBe(1);
  });

  it('counts evidence older than FORGOTTEN_AFTER_HALF_LIVES as none, as the SQL does', () => {
    expect(decayFactor(FORGOTTEN_AFTER_HALF_LIVES * DAY, DAY)).toBe(0.5 ** FORGOTTEN_AFTER_HALF_LIVES);
    expect(decayFactor((FORGOTTEN_AFTER_HALF_LIVES + 1) * DAY, DAY)).toBe(0);
  });
});
