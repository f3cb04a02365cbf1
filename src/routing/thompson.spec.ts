import { seededRandom } from './random-source';
import { sampleBeta, sampleGamma } from './thompson';

function moments(draws: number[]): { mean: number; variance: number } {
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  return { mean, variance: draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length };
}

describe('sampleBeta', () => {
  it.each([
    [2, 5],
    [0.5, 0.5],
    [45, 5],
    [300, 30],
  ])('matches the mean and variance of Beta(%d, %d)', (alpha, beta) => {
    const random = seededRandom(11);
    const { mean, variance } = moments(Array.from({ length: 20_000 }, () => sampleBeta({ alpha, beta }, random)));
    const n = alpha + beta;
    expect(mean).toBeCloseTo(alpha / n, 2);
    expect(variance / ((alpha * beta) / (n * n * (n + 1)))).toBeCloseTo(1, 0);
  });

  it('stays in 0..1 even for very lopsided posteriors', () => {
    const random = seededRandom(5);
    const draws = [...Array.from({ length: 2000 }, () => sampleBeta({ alpha: 0.01, beta: 50 }, random)), ...Array.from({ length: 2000 }, () => sampleBeta({ alpha: 5e5, beta: 1 }, random))];
    expect(draws.every((x) => Number.isFinite(x) && x >= 0 && x <= 1)).toBe(true);
  });
});

describe('sampleGamma', () => {
  it('has mean and variance equal to its shape', () => {
    const random = seededRandom(2);
    const { mean, variance } = moments(Array.from({ length: 20_000 }, () => sampleGamma(4, random)));
    expect(mean).toBeCloseTo(4, 1);
    expect(variance / 4).toBeCloseTo(1, 0);
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const c = seededRandom(2);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
