import { Injectable } from '@nestjs/common';

/** Uniform draws in [0, 1). */
export type Random = () => number;

/**
 * Where routing's exploration draws its randomness: behind an injectable (like the clock) so the
 * offline evaluation and tests can make every choice reproducible with a seed.
 */
@Injectable()
export class RandomSource {
  next(): number {
    return Math.random();
  }
}

/** A small, fast seeded generator (mulberry32): the same seed gives the same sequence on every machine. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
