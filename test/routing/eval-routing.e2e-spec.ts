import { EvalReport, evaluate } from '../../scripts/eval-routing/report';
import { simulate } from '../../scripts/eval-routing/simulation';
import { costOf, MODELS, oracleChoice, SHORT_RUN, TASK_TYPES } from '../../scripts/eval-routing/world';

/**
 * The offline routing evaluation (`npm run eval:routing`) in its short configuration: the real
 * routing and performance services on real Postgres, against simulated models whose quality,
 * success and price are hidden ground truth. Asserts the acceptance thresholds of the issue.
 */
describe('routing evaluation (short configuration)', () => {
  let report: EvalReport;
  const policy = (name: string) => report.policies.find((p) => p.policy.startsWith(name))!;

  beforeAll(async () => {
    report = evaluate(await simulate(SHORT_RUN), SHORT_RUN);
  }, 120_000);

  it('simulates a world no single model can win: prices spanning 100x, a different best model per task type', () => {
    const cheapest = Math.min(...MODELS.map((m) => costOf(m, 'reasoning')));
    const dearest = Math.max(...MODELS.map((m) => costOf(m, 'reasoning')));
    expect(dearest / cheapest).toBeGreaterThanOrEqual(100);
    const best = TASK_TYPES.map((taskType) => oracleChoice({ index: 0, taskType, drifted: false }, report.settings.costWeight).id);
    expect(new Set(best).size).toBe(TASK_TYPES.length);
  });

  it("reaches at least 97% of the oracle's average quality at no more than 1.15x its cost", () => {
    const ours = policy('ours');
    const oracle = policy('oracle');
    expect(ours.quality).toBeGreaterThanOrEqual(0.97 * oracle.quality);
    expect(ours.costPer1kRequests).toBeLessThanOrEqual(1.15 * oracle.costPer1kRequests);
  });

  it('beats every static single-model policy on average quality', () => {
    for (const single of report.statics) expect(policy('ours').quality).toBeGreaterThan(single.quality);
  });

  it("sends at least 92% of each task type's last 20% of traffic to the oracle's choice", () => {
    expect(Object.keys(report.lateOracleShare).sort()).toEqual([...TASK_TYPES].sort());
    // On failure, lists the task types below the bar with their shares.
    expect(Object.entries(report.lateOracleShare).filter(([, share]) => share < 0.92)).toEqual([]);
  });

  it('after the best model drifts, sends 70% of a window of 20 requests of that task type to the new best within 40 of them', () => {
    expect(report.recoveryRequests).not.toBeNull();
    expect(report.recoveryRequests!).toBeLessThanOrEqual(40);
  });

  it('is reproducible: the same seed routes every request the same way', async () => {
    const tiny = { ...SHORT_RUN, requests: 150 };
    const [first, second] = [await simulate(tiny), await simulate(tiny)];
    expect(second.requests.map((r) => r.modelId)).toEqual(first.requests.map((r) => r.modelId));
  }, 60_000);
});
