import { Random } from '../../src/routing/random-source';
import { successWeight } from '../../src/routing/ranking';
import { Family, FAMILIES, promptOf } from './prompts';
import { MODELS, SimulatedModel, t, Truth } from './world';

/**
 * The world of the scenario without task types: the same six models (prices spanning 250x, the
 * same registered baselines), a hidden truth per (model, prompt family), and requests that carry
 * only their prompt. The best model differs by family; mid-run the best code model drifts.
 */

export interface FamilyProfile {
  share: number;
  /** max_tokens the client sends (and the tokens the answer is billed for). */
  completionTokens: number;
}

export const FAMILY_PROFILES: Record<Family, FamilyProfile> = {
  code: { share: 0.25, completionTokens: 600 },
  math: { share: 0.2, completionTokens: 500 },
  creative: { share: 0.15, completionTokens: 700 },
  summary: { share: 0.2, completionTokens: 300 },
  sql: { share: 0.2, completionTokens: 300 },
};

/** Hidden truth per model and family (the models' prices and baselines are those of `world.ts`). */
const FAMILY_TRUTH: Record<string, Record<Family, Truth>> = {
  'atlas-ultra': { code: t(0.84, 0.99), math: t(0.93, 0.99), creative: t(0.78, 0.99), summary: t(0.8, 0.99), sql: t(0.86, 0.99) },
  'forge-coder': { code: t(0.92, 0.98), math: t(0.72, 0.98), creative: t(0.55, 0.98), summary: t(0.7, 0.98), sql: t(0.78, 0.98) },
  'sage-reasoner': { code: t(0.85, 0.98), math: t(0.74, 0.98), creative: t(0.6, 0.98), summary: t(0.72, 0.98), sql: t(0.9, 0.98) },
  'muse-writer': { code: t(0.65, 0.95), math: t(0.6, 0.95), creative: t(0.88, 0.95), summary: t(0.74, 0.95), sql: t(0.62, 0.95) },
  'brisk-mini': { code: t(0.6, 0.97), math: t(0.55, 0.97), creative: t(0.7, 0.97), summary: t(0.84, 0.97), sql: t(0.6, 0.97) },
  'penny-lite': { code: t(0.5, 0.95), math: t(0.45, 0.95), creative: t(0.6, 0.95), summary: t(0.66, 0.95), sql: t(0.5, 0.95) },
};

export const PROMPT_DRIFT = { modelId: 'forge-coder', family: 'code' as Family, quality: 0.55 };

export interface PromptRequest {
  index: number;
  family: Family;
  prompt: string;
  drifted: boolean;
}

export function promptWorkload(requests: number, driftAt: number, random: Random): PromptRequest[] {
  const driftIndex = Math.floor(requests * driftAt);
  return Array.from({ length: requests }, (_, index) => {
    const family = pickFamily(random);
    return { index, family, prompt: promptOf(family, random), drifted: index >= driftIndex };
  });
}

function pickFamily(random: Random): Family {
  let u = random();
  for (const family of FAMILIES) {
    u -= FAMILY_PROFILES[family].share;
    if (u < 0) return family;
  }
  return FAMILIES[FAMILIES.length - 1];
}

export function familyTruth(model: SimulatedModel, request: Pick<PromptRequest, 'family' | 'drifted'>): Truth {
  const truth = FAMILY_TRUTH[model.id][request.family];
  const drifted = request.drifted && model.id === PROMPT_DRIFT.modelId && request.family === PROMPT_DRIFT.family;
  return drifted ? { ...truth, quality: PROMPT_DRIFT.quality } : truth;
}

/** The prompt's tokens as routing estimates them (4 UTF-8 bytes per token), so the oracle and the router price a request alike. */
export function promptTokens(prompt: string): number {
  return Buffer.byteLength(prompt, 'utf8') / 4;
}

export function promptCost(model: SimulatedModel, request: Pick<PromptRequest, 'family' | 'prompt'>): number {
  return (promptTokens(request.prompt) * model.pricing.input + FAMILY_PROFILES[request.family].completionTokens * model.pricing.output) / 1000;
}

export function promptUtility(model: SimulatedModel, request: PromptRequest, costWeight: number): number {
  const truth = familyTruth(model, request);
  const w = successWeight();
  return (1 - w) * truth.quality + w * truth.success - costWeight * promptCost(model, request);
}

/** The oracle that knows the family (and the drift): the best true utility for the request. */
export function familyOracle(request: PromptRequest, costWeight: number): SimulatedModel {
  return MODELS.reduce((best, m) => (promptUtility(m, request, costWeight) > promptUtility(best, request, costWeight) ? m : best));
}
