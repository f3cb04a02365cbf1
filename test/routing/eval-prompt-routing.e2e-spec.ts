import { promptChecks, PromptRunReport, PROMPT_THRESHOLDS } from '../../scripts/eval-routing/prompt-report';
import { runPromptScenario } from '../../scripts/eval-routing/prompt-scenario';
import { PROMPT_SHORT_RUN } from '../../scripts/eval-routing/prompt-simulation';
import { familyOracle, promptCost } from '../../scripts/eval-routing/prompt-world';
import { FAMILIES, promptOf } from '../../scripts/eval-routing/prompts';
import { MODELS } from '../../scripts/eval-routing/world';
import { seededRandom } from '../../src/routing/random-source';

/**
 * The routing evaluation's scenario without task types (`npm run eval:routing`), short
 * configuration, fixed seed: the real routing, performance and prompt-kind services on real
 * Postgres, against prompts of five families whose best model differs. Asserts the targets.
 */
describe('routing evaluation without task types (short configuration)', () => {
  let full: PromptRunReport;
  let sparse: PromptRunReport;

  beforeAll(async () => {
    [full, sparse] = await runPromptScenario({ requests: PROMPT_SHORT_RUN.requests, seed: PROMPT_SHORT_RUN.seed, settings: {}, targetsOnly: true });
  }, 120_000);

  it('simulates prompts that rarely repeat, prices spanning 100x and a different best model per family', () => {
    const random = seededRandom(7);
    const prompts = FAMILIES.flatMap((family) => Array.from({ length: 200 }, () => promptOf(family, random)));
    expect(new Set(prompts).size).toBeGreaterThan(0.9 * prompts.length);
    const request = { index: 0, family: 'math' as const, prompt: 'x'.repeat(400), drifted: false };
    const costs = MODELS.map((m) => promptCost(m, request));
    expect(Math.max(...costs) / Math.min(...costs)).toBeGreaterThanOrEqual(100);
    const best = FAMILIES.map((family) => familyOracle({ ...request, family }, 1).id);
    expect(new Set(best).size).toBe(FAMILIES.length);
  });

  it("with feedback on every request: at least 95% of the oracle's quality at no more than 1.2x its cost", () => {
    expect(full.feedbackRate).toBe(1);
    expect(full.ours.quality).toBeGreaterThanOrEqual(PROMPT_THRESHOLDS.qualityVsOracle * full.oracle.quality);
    expect(full.ours.costPer1kRequests).toBeLessThanOrEqual(PROMPT_THRESHOLDS.costVsOracle * full.oracle.costPer1kRequests);
  });

  it("with feedback on every request: at least 85% of each family's last 20% of traffic to its best model", () => {
    // On failure, lists the families below the bar with their shares.
    expect(Object.entries(full.lateBestShare).filter(([, share]) => share < PROMPT_THRESHOLDS.lateBestShare)).toEqual([]);
  });

  it('with feedback on every request: recovers from the drift within 60 requests of the drifted family', () => {
    expect(full.recoveryRequests).not.toBeNull();
    expect(full.recoveryRequests!).toBeLessThanOrEqual(PROMPT_THRESHOLDS.recoveryWithin);
  });

  it('learns kinds from the traffic that each hold one family, with hints', () => {
    expect(full.kinds.count).toBeGreaterThanOrEqual(FAMILIES.length);
    expect(full.kinds.purity).toBeGreaterThanOrEqual(0.95);
    for (const kind of full.kinds.list) expect(kind.hint.length).toBeGreaterThan(0);
  });

  it("with feedback on 20% of requests: at least 90% of the oracle's quality, and better than the best static model", () => {
    expect(sparse.feedbackRate).toBe(0.2);
    expect(sparse.ours.quality).toBeGreaterThanOrEqual(PROMPT_THRESHOLDS.sparseQualityVsOracle * sparse.oracle.quality);
    expect(sparse.ours.utility).toBeGreaterThan(sparse.bestStatic.utility);
  });

  it('passes every check the eval itself reports', () => {
    expect([...promptChecks(full), ...promptChecks(sparse)].filter((c) => !c.passed)).toEqual([]);
  });
});
