import { BetaParams } from '../performance/scoring';
import { Random } from './random-source';

/** A draw from Beta(alpha, beta), as X / (X + Y) with X ~ Gamma(alpha) and Y ~ Gamma(beta). */
export function sampleBeta({ alpha, beta }: BetaParams, random: Random): number {
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(beta, random);
  return x + y > 0 ? x / (x + y) : alpha / (alpha + beta);
}

/**
 * Gamma(shape, 1) by Marsaglia and Tsang's method (2000); shapes below 1 are boosted with
 * Gamma(shape + 1) * U^(1/shape).
 */
export function sampleGamma(shape: number, random: Random): number {
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(uniformOpen(random), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniformOpen(random);
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Box-Muller. */
function standardNormal(random: Random): number {
  return Math.sqrt(-2 * Math.log(uniformOpen(random))) * Math.cos(2 * Math.PI * random());
}

/** A uniform draw in (0, 1): logarithms of it stay finite. */
function uniformOpen(random: Random): number {
  let u = random();
  while (u <= 0) u = random();
  return u;
}
