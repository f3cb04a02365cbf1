import { DRIFT_RULES, DriftStatistics, KindEvidence, observeRating } from './drift';

/** A seeded uniform generator, so the noise is the same on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function noisyRating(random: () => number, quality: number, sd: number): number {
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(1, Math.max(0, quality + sd * normal));
}

/** Ratings of one model spread round-robin over `kinds` kinds whose evidence expects `expected`; the index of each drifted kind's alarm. */
function alarms(ratings: number[], kinds: number, expected: KindEvidence, weight = 3): Map<number, number> {
  const statistics: DriftStatistics[] = Array.from({ length: kinds }, () => ({ model: 0, kind: 0 }));
  let model = 0;
  const found = new Map<number, number>();
  ratings.forEach((quality, i) => {
    const kind = i % kinds;
    const step = observeRating({ model, kind: statistics[kind].kind }, found.has(kind) ? null : expected, { quality, weight }, DRIFT_RULES);
    model = step.statistics.model;
    statistics[kind] = step.statistics;
    if (step.drifted) found.set(kind, i);
  });
  return found;
}

const established: KindEvidence = { weight: 75, mean: 0.92 };

describe('observeRating', () => {
  it('finds a drop from 0.92 to 0.55 spread over four kinds within three ratings of each', () => {
    const random = lcg(7);
    const found = alarms(Array.from({ length: 12 }, () => noisyRating(random, 0.55, 0.1)), 4, established);
    expect(found.size).toBe(4);
    expect(Math.max(...found.values())).toBeLessThan(12);
  });

  it('needs more than one surprising rating in a kind before that kind is discounted', () => {
    const first = observeRating({ model: 5, kind: 0 }, established, { quality: 0.55, weight: 3 }, DRIFT_RULES);
    expect(first.drifted).toBe(false);
    const second = observeRating(first.statistics, established, { quality: 0.55, weight: 3 }, DRIFT_RULES);
    expect(second.drifted).toBe(true);
    expect(second.statistics.kind).toBe(0);
  });

  it('leaves a kind alone whose own ratings hold up while the model drops elsewhere', () => {
    const step = observeRating({ model: 10, kind: 0 }, established, { quality: 0.9, weight: 3 }, DRIFT_RULES);
    expect(step.drifted).toBe(false);
    expect(step.statistics.kind).toBe(0);
  });

  it('raises no alarm on 5,000 noisy ratings of an unchanged model', () => {
    const random = lcg(11);
    expect(alarms(Array.from({ length: 5000 }, () => noisyRating(random, 0.92, 0.1)), 4, established).size).toBe(0);
  });

  it('trusts no expectation from a kind with little evidence', () => {
    const step = observeRating({ model: 10, kind: 10 }, { weight: DRIFT_RULES.minEvidence - 1, mean: 0.92 }, { quality: 0, weight: 3 }, DRIFT_RULES);
    expect(step).toEqual({ statistics: { model: 10, kind: 10 }, drifted: false });
  });

  it('ignores removals (negative weights)', () => {
    const step = observeRating({ model: 1, kind: 1 }, established, { quality: 0, weight: -3 }, DRIFT_RULES);
    expect(step.drifted).toBe(false);
    expect(step.statistics).toEqual({ model: 1, kind: 1 });
  });
});
