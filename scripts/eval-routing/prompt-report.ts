import { Family, FAMILIES } from './prompts';
import { PromptRunResult, ServedPromptRequest } from './prompt-simulation';
import { familyOracle, familyTruth, PROMPT_DRIFT, promptCost, promptUtility } from './prompt-world';
import { MODELS, modelById, SimulatedModel } from './world';

/** The issue's targets for requests without a task type. */
export const PROMPT_THRESHOLDS = {
  /** With feedback on every request: quality and cost against the oracle that knows the family. */
  qualityVsOracle: 0.95,
  costVsOracle: 1.2,
  /** Of each family's last 20% of requests, at least this share to that family's best model. */
  lateBestShare: 0.85,
  /** After the drift, 70% of a window of 20 requests of the drifted family to its new best, within this many of them. */
  recoveryWithin: 60,
  recoveryWindow: 20,
  recoveryShare: 0.7,
  /** With feedback on 20% of requests: quality against the oracle (and above the best static model). */
  sparseQualityVsOracle: 0.9,
} as const;

export interface PromptPolicyMetrics {
  policy: string;
  quality: number;
  successRate: number;
  costPer1kRequests: number;
  /** Mean true utility (the router's objective: quality, success and cost). */
  utility: number;
}

export interface PromptRunReport {
  mode: string;
  feedbackRate: number;
  requests: number;
  seed: number;
  ours: PromptPolicyMetrics;
  oracle: PromptPolicyMetrics;
  /** The single model with the best mean true utility over the run. */
  bestStatic: PromptPolicyMetrics;
  /** The single model with the best mean quality (the dearest, here). */
  bestStaticQuality: PromptPolicyMetrics;
  /** Per family: the share of its last 20% of requests sent to its best model. */
  lateBestShare: Record<Family, number>;
  /** Requests of the drifted family after the drift until a window of 20 sent 70% to the new best (null: never). */
  recoveryRequests: number | null;
  /** Learned kinds: how many, and the share of requests in a kind whose majority family is their own. */
  kinds: { count: number; purity: number; list: { name: string; requests: number; hint: string[]; families: Record<string, number> }[] };
  elapsedMs: number;
}

export function reportPromptRun(result: PromptRunResult): PromptRunReport {
  const { requests, costWeight, options } = result;
  const oracle = (r: ServedPromptRequest) => familyOracle(r, costWeight);
  const statics = MODELS.map((m) => metrics(`static ${m.id}`, requests, () => m, costWeight));
  const byFamily = (family: Family) => requests.filter((r) => r.family === family);
  const lateBestShare = Object.fromEntries(
    FAMILIES.map((family) => {
      const rs = byFamily(family);
      const late = rs.slice(Math.floor(rs.length * 0.8));
      return [family, late.filter((r) => r.modelId === oracle(r).id).length / Math.max(1, late.length)];
    }),
  ) as Record<Family, number>;
  const drifted = byFamily(PROMPT_DRIFT.family).filter((r) => r.drifted);
  const newBest = drifted.length > 0 ? oracle(drifted[0]).id : '';

  const families = new Map<string, Record<string, number>>();
  for (const r of requests) {
    const tally = families.get(r.routedAs) ?? {};
    tally[r.family] = (tally[r.family] ?? 0) + 1;
    families.set(r.routedAs, tally);
  }
  const majority = [...families.values()].reduce((sum, tally) => sum + Math.max(...Object.values(tally)), 0);
  return {
    mode: options.mode,
    feedbackRate: options.feedbackRate,
    requests: options.requests,
    seed: options.seed,
    ours: metrics('ours', requests, (r) => modelById(r.modelId), costWeight),
    oracle: metrics('oracle (knows the family)', requests, oracle, costWeight),
    bestStatic: best(statics, (s) => s.utility),
    bestStaticQuality: best(statics, (s) => s.quality),
    lateBestShare,
    recoveryRequests: recovery(drifted, newBest),
    kinds: {
      count: result.kinds.length,
      purity: majority / requests.length,
      list: result.kinds.map((kind) => ({ ...kind, families: families.get(kind.name) ?? {} })),
    },
    elapsedMs: result.elapsedMs,
  };
}

/** The targets that apply to a run without task types (none for the comparison runs). */
export function promptChecks(run: PromptRunReport): { name: string; passed: boolean; detail: string }[] {
  if (run.mode !== 'inferred') return [];
  const t = PROMPT_THRESHOLDS;
  const at = `feedback ${pct(run.feedbackRate)}`;
  const quality = run.ours.quality / run.oracle.quality;
  const cost = run.ours.costPer1kRequests / run.oracle.costPer1kRequests;
  if (run.feedbackRate < 1) {
    return [
      check(`${at}: quality >= ${t.sparseQualityVsOracle} x oracle`, quality >= t.sparseQualityVsOracle, `${pct(quality)} of ${fixed(run.oracle.quality, 4)}`),
      check(
        `${at}: better than the best static model`,
        run.ours.utility > run.bestStatic.utility,
        `utility ${fixed(run.ours.utility, 4)} vs ${fixed(run.bestStatic.utility, 4)} (${run.bestStatic.policy}); quality ${fixed(run.ours.quality, 4)} vs ${fixed(run.bestStatic.quality, 4)}`,
      ),
    ];
  }
  const worst = Math.min(...Object.values(run.lateBestShare));
  return [
    check(`${at}: quality >= ${t.qualityVsOracle} x oracle`, quality >= t.qualityVsOracle, `${pct(quality)} of ${fixed(run.oracle.quality, 4)}`),
    check(`${at}: cost <= ${t.costVsOracle} x oracle`, cost <= t.costVsOracle, `${fixed(cost, 3)}x`),
    check(`${at}: last 20% of each family >= ${pct(t.lateBestShare)} to its best model`, worst >= t.lateBestShare, FAMILIES.map((f) => `${f} ${pct(run.lateBestShare[f])}`).join(', ')),
    check(
      `${at}: drift recovered within ${t.recoveryWithin} ${PROMPT_DRIFT.family} requests`,
      run.recoveryRequests !== null && run.recoveryRequests <= t.recoveryWithin,
      run.recoveryRequests === null ? 'never' : `after ${run.recoveryRequests}`,
    ),
  ];
}

function metrics(policy: string, requests: ServedPromptRequest[], choice: (r: ServedPromptRequest) => SimulatedModel, costWeight: number): PromptPolicyMetrics {
  let quality = 0;
  let success = 0;
  let cost = 0;
  let utility = 0;
  for (const r of requests) {
    const model = choice(r);
    const truth = familyTruth(model, r);
    quality += truth.quality;
    success += truth.success;
    cost += promptCost(model, r);
    utility += promptUtility(model, r, costWeight);
  }
  const n = Math.max(1, requests.length);
  return { policy, quality: quality / n, successRate: success / n, costPer1kRequests: (cost / n) * 1000, utility: utility / n };
}

function recovery(after: ServedPromptRequest[], newBest: string): number | null {
  const { recoveryWindow: window, recoveryShare: share } = PROMPT_THRESHOLDS;
  for (let end = window; end <= after.length; end += 1) {
    if (after.slice(end - window, end).filter((r) => r.modelId === newBest).length >= share * window) return end;
  }
  return null;
}

function best<T>(items: T[], key: (item: T) => number): T {
  return items.reduce((top, item) => (key(item) > key(top) ? item : top));
}

function check(name: string, passed: boolean, detail: string) {
  return { name, passed, detail };
}

const fixed = (x: number, digits: number) => x.toFixed(digits);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The scenario's runs side by side, then the kinds of the first run and the checks. */
export function formatPromptReport(runs: PromptRunReport[]): string {
  const lines: string[] = [];
  const first = runs[0];
  lines.push(
    `Requests without a task type: ${first.requests} requests, seed ${first.seed}, ${FAMILIES.length} prompt families, ${MODELS.length} models; ` +
      `drift: ${PROMPT_DRIFT.modelId} on ${PROMPT_DRIFT.family} drops to ${PROMPT_DRIFT.quality} at mid-run.`,
  );
  lines.push('');
  const header = ['run', 'feedback', 'quality (vs oracle)', 'cost / 1K (vs oracle)', 'utility', 'worst late share', 'recovery', 'kinds (purity)'];
  const rows = runs.map((run) => [
    run.mode === 'inferred' ? 'ours: kinds from prompts' : run.mode === 'given' ? 'task-type router given the family' : 'one bucket (`general`, as before)',
    pct(run.feedbackRate),
    `${fixed(run.ours.quality, 4)} (${pct(run.ours.quality / run.oracle.quality)})`,
    `$${fixed(run.ours.costPer1kRequests, 2)} (${fixed(run.ours.costPer1kRequests / run.oracle.costPer1kRequests, 2)}x)`,
    fixed(run.ours.utility, 4),
    pct(Math.min(...Object.values(run.lateBestShare))),
    run.recoveryRequests === null ? 'never' : String(run.recoveryRequests),
    run.mode === 'inferred' ? `${run.kinds.count} (${pct(run.kinds.purity)})` : '',
  ]);
  const { oracle, bestStatic, bestStaticQuality } = first;
  rows.push(['oracle (knows the family)', '', fixed(oracle.quality, 4), `$${fixed(oracle.costPer1kRequests, 2)}`, fixed(oracle.utility, 4), '', '', '']);
  rows.push([`best static by utility (${bestStatic.policy.replace('static ', '')})`, '', fixed(bestStatic.quality, 4), `$${fixed(bestStatic.costPer1kRequests, 2)}`, fixed(bestStatic.utility, 4), '', '', '']);
  rows.push([`best static by quality (${bestStaticQuality.policy.replace('static ', '')})`, '', fixed(bestStaticQuality.quality, 4), `$${fixed(bestStaticQuality.costPer1kRequests, 2)}`, fixed(bestStaticQuality.utility, 4), '', '', '']);
  lines.push(table(header, rows));
  const inferred = runs.find((run) => run.mode === 'inferred');
  if (inferred) {
    lines.push('');
    lines.push(`Kinds learned (feedback ${pct(inferred.feedbackRate)} run): name, requests, hint, families of its requests`);
    for (const kind of inferred.kinds.list) {
      lines.push(`  ${kind.name}  ${String(kind.requests).padStart(5)}  ${kind.hint.join(', ').padEnd(48)} ${Object.entries(kind.families).map(([f, n]) => `${f} ${n}`).join(', ')}`);
    }
  }
  const checks = runs.flatMap(promptChecks);
  lines.push('');
  lines.push(table(['check', 'result', 'detail'], checks.map((c) => [c.name, c.passed ? 'PASS' : 'FAIL', c.detail])));
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
