import { FEATURE_DIM, hintWords, promptFeatures } from '../../src/routing/prompt-features';
import { addTo, assign, emptyKind, Kind } from '../../src/routing/prompt-kinds';
import { Random, seededRandom } from '../../src/routing/random-source';
import { successWeight } from '../../src/routing/ranking';
import { sampleBeta } from '../../src/routing/thompson';
import { DecayedSums, posteriorAt } from '../../src/performance/scoring';
import { FAMILIES } from './prompts';
import { familyOracle, familyTruth, promptCost, PromptRequest, promptWorkload } from './prompt-world';
import { MODELS, normal, SimulatedModel } from './world';

/**
 * `npx ts-node --transpile-only scripts/eval-routing/compare-methods.ts`: the candidate methods for
 * routing requests without a task type, side by side on the scenario of `prompt-world.ts`, in
 * memory (no service): the figures behind the choice in docs/routing.md. Every method learns from
 * the same ratings and chooses by the router's objective; only how it reads the prompt differs.
 *   - global: one posterior per model for all requests (what `general` did).
 *   - clusters: online spherical k-means (`prompt-kinds.ts`), one posterior per model and kind.
 *   - linear: a contextual bandit, per model a ridge regression of quality on the hashed features
 *     with diagonal Thompson sampling.
 *   - knn: per model, the mean rating of its 25 most similar past prompts (of the last 2,000),
 *     drawn from a normal whose spread shrinks with the number of neighbours (Thompson-like).
 */

const COST_WEIGHT = 1;
const W = successWeight();

interface Policy {
  choose(request: PromptRequest, vector: Float32Array, words: string[]): SimulatedModel;
  learn(model: SimulatedModel, vector: Float32Array, rating: number): void;
}

/**
 * Per (bucket, model) the service's own quality posterior (`posteriorAt`: the registered baseline
 * as 5 observations, a rating weighing 3, at most 75 of evidence), sampled by Thompson.
 */
function betaPolicy(bucketOf: (vector: Float32Array, words: string[]) => number, random: Random): Policy {
  const sums = new Map<string, DecayedSums>();
  const rules = { halfLifeMs: Number.MAX_SAFE_INTEGER, priorWeight: 5, maxEvidence: 75 };
  const at = new Date(0);
  let current = 0;
  const get = (bucket: number, m: SimulatedModel) => {
    const key = `${bucket}/${m.id}`;
    if (!sums.has(key)) sums.set(key, { weightSum: 0, successSum: 0, qualityWeight: 0, qualitySum: 0, qualitySqSum: 0, decayedTo: at });
    return sums.get(key)!;
  };
  return {
    choose(request, vector, words) {
      current = bucketOf(vector, words);
      const score = (m: SimulatedModel) => {
        const posterior = posteriorAt(get(current, m), { quality: m.baseline?.quality_score ?? 0.5, successRate: 0.9 }, at, rules);
        return (1 - W) * sampleBeta(posterior.quality, random) + W * 0.97 - COST_WEIGHT * promptCost(m, request);
      };
      return best(MODELS, score);
    },
    learn(model, _vector, rating) {
      const s = get(current, model);
      const keep = s.qualityWeight + 3 > rules.maxEvidence ? (rules.maxEvidence - 3) / s.qualityWeight : 1;
      s.qualityWeight = s.qualityWeight * keep + 3;
      s.qualitySum = s.qualitySum * keep + 3 * rating;
      s.qualitySqSum = s.qualitySqSum * keep + 3 * rating * rating;
    },
  };
}

function clusterPolicy(random: Random): Policy {
  const kinds: Kind[] = [];
  return betaPolicy((vector, words) => {
    const { kindId } = assign(kinds, vector, { maxKinds: 32, newKindBelow: 0.55 });
    const kind = kindId === null ? kinds[kinds.push(emptyKind(kinds.length)) - 1] : kinds[kindId];
    addTo(kind, vector, words);
    return kind.id;
  }, random);
}

function linearPolicy(random: Random): Policy {
  const lambda = 1;
  const models = MODELS.map((m) => ({ m, precision: new Float64Array(FEATURE_DIM).fill(lambda), b: new Float64Array(FEATURE_DIM), prior: m.baseline?.quality_score ?? 0.5 }));
  const predict = (s: (typeof models)[number], x: Float32Array, sample: boolean) => {
    let mean = s.prior;
    let variance = 0;
    for (let i = 0; i < FEATURE_DIM; i += 1) {
      if (x[i] === 0) continue;
      mean += (s.b[i] / s.precision[i]) * x[i];
      variance += (x[i] * x[i]) / s.precision[i];
    }
    return sample ? normal(random, mean, 0.3 * Math.sqrt(variance)) : mean;
  };
  return {
    choose(request, vector) {
      return best(models, (s) => (1 - W) * predict(s, vector, true) + W * 0.97 - COST_WEIGHT * promptCost(s.m, request)).m;
    },
    learn(model, vector, rating) {
      const s = models.find((x) => x.m === model)!;
      const residual = rating - predict(s, vector, false);
      for (let i = 0; i < FEATURE_DIM; i += 1) {
        if (vector[i] === 0) continue;
        s.b[i] += residual * vector[i] + (s.b[i] / s.precision[i]) * vector[i] * vector[i];
        s.precision[i] += vector[i] * vector[i];
      }
    },
  };
}

function knnPolicy(random: Random): Policy {
  const memory: { vector: Float32Array; modelId: string; rating: number }[] = [];
  return {
    choose(request, vector) {
      const score = (m: SimulatedModel) => {
        const own = memory.filter((e) => e.modelId === m.id);
        const near = own.map((e) => ({ e, s: dotOf(e.vector, vector) })).sort((a, b) => b.s - a.s).slice(0, 25);
        const prior = m.baseline?.quality_score ?? 0.5;
        const mean = (5 * prior + near.reduce((sum, n) => sum + n.e.rating, 0)) / (5 + near.length);
        return (1 - W) * normal(random, mean, 0.3 / Math.sqrt(1 + near.length)) + W * 0.97 - COST_WEIGHT * promptCost(m, request);
      };
      return best(MODELS, score);
    },
    learn(model, vector, rating) {
      memory.push({ vector, modelId: model.id, rating });
      if (memory.length > 2000) memory.shift();
    },
  };
}

function run(name: string, policy: Policy, requests: PromptRequest[], feedbackRate: number, random: Random) {
  let quality = 0;
  let cost = 0;
  let oracleQuality = 0;
  let oracleCost = 0;
  const late = new Map<string, { hits: number; n: number }>();
  const started = process.hrtime.bigint();
  for (const r of requests) {
    const vector = promptFeatures(r.prompt);
    const chosen = policy.choose(r, vector, hintWords(r.prompt));
    const oracle = familyOracle(r, COST_WEIGHT);
    quality += familyTruth(chosen, r).quality;
    cost += promptCost(chosen, r);
    oracleQuality += familyTruth(oracle, r).quality;
    oracleCost += promptCost(oracle, r);
    if (random() < feedbackRate) policy.learn(chosen, vector, Math.min(1, Math.max(0, normal(random, familyTruth(chosen, r).quality, 0.1))));
    if (r.index >= requests.length * 0.8) {
      const tally = late.get(r.family) ?? { hits: 0, n: 0 };
      late.set(r.family, { hits: tally.hits + (chosen === oracle ? 1 : 0), n: tally.n + 1 });
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const worstLate = Math.min(...FAMILIES.map((f) => late.get(f)!.hits / late.get(f)!.n));
  return { name, quality: quality / oracleQuality, cost: cost / oracleCost, worstLate, msPerRequest: ms / requests.length };
}

function best<T>(items: T[], score: (item: T) => number): T {
  let top = items[0];
  let topScore = -Infinity;
  for (const item of items) {
    const s = score(item);
    if (s > topScore) [top, topScore] = [item, s];
  }
  return top;
}

function dotOf(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i] * b[i];
  return sum;
}

const seeds = [1, 2, 3, 4, 5];
const requests = Number(process.argv[2] ?? 3000);
for (const feedbackRate of [1, 0.2]) {
  console.log(`\nfeedback on ${feedbackRate * 100}% of requests, ${requests} requests, drift at 50%, seeds ${seeds.join(',')} (mean [min..max])`);
  console.log('method    quality/oracle      cost/oracle         worst family late share   ms/request');
  const policies: [string, (random: Random) => Policy][] = [
    ['global', (random) => betaPolicy(() => 0, random)],
    ['clusters', clusterPolicy],
    ['linear', linearPolicy],
    ['knn', knnPolicy],
  ];
  for (const [name, make] of policies) {
    const results = seeds.map((seed) => run(name, make(seededRandom(seed ^ 0xabc)), promptWorkload(requests, 0.5, seededRandom(seed)), feedbackRate, seededRandom(seed ^ 0x123)));
    const span = (f: (r: (typeof results)[number]) => number, digits = 3) => {
      const xs = results.map(f);
      return `${(xs.reduce((a, b) => a + b) / xs.length).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}..${Math.max(...xs).toFixed(digits)}]`;
    };
    console.log(`${name.padEnd(9)} ${span((r) => r.quality).padEnd(19)} ${span((r) => r.cost).padEnd(19)} ${span((r) => r.worstLate).padEnd(25)} ${span((r) => r.msPerRequest, 2)}`);
  }
}
