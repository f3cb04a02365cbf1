import { SimulationResult } from './simulation';
import { costOf, DRIFT, EvalOptions, MODELS, modelById, oracleChoice, Request, SimulatedModel, TASK_TYPES, TaskType, trueUtility, truthOf } from './world';

/** The issue's acceptance thresholds. */
export const THRESHOLDS = {
  /** Ours' average quality at least this share of the oracle's. */
  qualityVsOracle: 0.97,
  /** Ours' cost at most this multiple of the oracle's. */
  costVsOracle: 1.15,
  /** Of each task type's last 20% of requests, at least this share to the oracle's model. */
  lateOracleShare: 0.92,
  /** After the drift, a window of this many requests of the drifted task type ... */
  recoveryWindow: 20,
  /** ... sends at least this share to the new best ... */
  recoveryShare: 0.7,
  /** ... within this many requests of that task type. */
  recoveryWithin: 40,
} as const;

export interface PolicyMetrics {
  policy: string;
  /** Mean true quality of the answers (expected value over the policy's choices). */
  quality: number;
  /** Mean chance that the call succeeds. */
  successRate: number;
  /** USD per 1,000 requests. */
  costPer1kRequests: number;
}

export interface EvalReport {
  options: EvalOptions;
  settings: { costWeight: number; exploration: number; maxEvidence: number };
  policies: PolicyMetrics[];
  /** Every single-model policy, to show that none wins. */
  statics: PolicyMetrics[];
  /** Per task type: the oracle's model before and after the drift. */
  oracleModels: Record<TaskType, { before: string; after: string }>;
  /** Per task type: ours' share of requests sent to the oracle's model, per tenth of that task type's traffic. */
  oracleShareOverTime: Record<TaskType, number[]>;
  /** Per task type: ours' share of the last 20% of its requests sent to the oracle's model. */
  lateOracleShare: Record<TaskType, number>;
  /** Requests of the drifted task type after the drift until a window of 20 sends 70% to the new best (null: never). */
  recoveryRequests: number | null;
  /** Ours' requests per model and task type. */
  traffic: Record<TaskType, Record<string, number>>;
  checks: { name: string; passed: boolean; detail: string }[];
  elapsedMs: number;
}

export function evaluate(result: SimulationResult, options: EvalOptions): EvalReport {
  const { requests, costWeight } = result;
  const oracle = (r: Request) => oracleChoice(r, costWeight);
  const totalUtility = (m: SimulatedModel) => requests.reduce((sum, r) => sum + trueUtility(m, r, costWeight), 0);
  const cheapest = minBy(MODELS, (m) => m.pricing.input + m.pricing.output);
  const dearest = minBy(MODELS, (m) => -(m.pricing.input + m.pricing.output));
  const bestStatic = minBy(MODELS, (m) => -totalUtility(m));

  const statics = MODELS.map((m) => metrics(`static ${m.id}`, requests, () => [m]));
  const policies = [
    metrics('ours (Thompson sampling)', requests, (r) => [modelById(r.modelId)]),
    metrics('random', requests, () => MODELS),
    metrics(`cheapest (${cheapest.id})`, requests, () => [cheapest]),
    metrics(`most expensive (${dearest.id})`, requests, () => [dearest]),
    metrics(`best overall static (${bestStatic.id})`, requests, () => [bestStatic]),
    metrics('oracle', requests, (r) => [oracle(r)]),
  ];

  const byTask = (type: TaskType) => requests.filter((r) => r.taskType === type);
  const toOracle = (rs: typeof requests) => (rs.length === 0 ? 0 : rs.filter((r) => r.modelId === oracle(r).id).length / rs.length);
  const oracleShareOverTime = mapTasks((type) => tenths(byTask(type)).map(toOracle));
  const lateOracleShare = mapTasks((type) => {
    const rs = byTask(type);
    return toOracle(rs.slice(Math.floor(rs.length * 0.8)));
  });
  const oracleModels = mapTasks((type) => {
    const rs = byTask(type);
    return { before: oracle(rs.find((r) => !r.drifted) ?? rs[0]).id, after: oracle(rs.find((r) => r.drifted) ?? rs[rs.length - 1]).id };
  });
  const traffic = mapTasks((type) => Object.fromEntries(MODELS.map((m) => [m.id, byTask(type).filter((r) => r.modelId === m.id).length])));
  const recoveryRequests = recovery(byTask(DRIFT.taskType).filter((r) => r.drifted), oracleModels[DRIFT.taskType].after);

  const ours = policies[0];
  const best = policies[policies.length - 1];
  const bestStaticQuality = Math.max(...statics.map((s) => s.quality));
  const worstLate = Math.min(...Object.values(lateOracleShare));
  const checks = [
    check(
      `quality >= ${THRESHOLDS.qualityVsOracle} x oracle`,
      ours.quality >= THRESHOLDS.qualityVsOracle * best.quality,
      `${fixed(ours.quality, 4)} vs ${fixed(best.quality, 4)} (${pct(ours.quality / best.quality)})`,
    ),
    check(
      `cost <= ${THRESHOLDS.costVsOracle} x oracle`,
      ours.costPer1kRequests <= THRESHOLDS.costVsOracle * best.costPer1kRequests,
      `$${fixed(ours.costPer1kRequests, 2)} vs $${fixed(best.costPer1kRequests, 2)} per 1K requests (${fixed(ours.costPer1kRequests / best.costPer1kRequests, 3)}x)`,
    ),
    check('quality above every static single-model policy', ours.quality > bestStaticQuality, `${fixed(ours.quality, 4)} vs best static ${fixed(bestStaticQuality, 4)}`),
    check(
      `last 20% of each task type: >= ${pct(THRESHOLDS.lateOracleShare)} to the oracle's model`,
      worstLate >= THRESHOLDS.lateOracleShare,
      TASK_TYPES.map((type) => `${type} ${pct(lateOracleShare[type])}`).join(', '),
    ),
    check(
      `drift: ${pct(THRESHOLDS.recoveryShare)} of ${THRESHOLDS.recoveryWindow} to the new best within ${THRESHOLDS.recoveryWithin} requests`,
      recoveryRequests !== null && recoveryRequests <= THRESHOLDS.recoveryWithin,
      recoveryRequests === null ? 'never' : `after ${recoveryRequests} ${DRIFT.taskType} requests`,
    ),
  ];

  return {
    options,
    settings: { costWeight, exploration: result.exploration, maxEvidence: result.maxEvidence },
    policies,
    statics,
    oracleModels,
    oracleShareOverTime,
    lateOracleShare,
    recoveryRequests,
    traffic,
    checks,
    elapsedMs: result.elapsedMs,
  };
}

/** Expected quality, success and cost of a policy that picks uniformly among `choices(request)`. */
function metrics<R extends Request>(policy: string, requests: R[], choices: (r: R) => SimulatedModel[]): PolicyMetrics {
  let quality = 0;
  let success = 0;
  let cost = 0;
  for (const request of requests) {
    const models = choices(request);
    for (const model of models) {
      const truth = truthOf(model, request);
      quality += truth.quality / models.length;
      success += truth.success / models.length;
      cost += costOf(model, request.taskType) / models.length;
    }
  }
  const n = requests.length;
  return { policy, quality: quality / n, successRate: success / n, costPer1kRequests: (cost / n) * 1000 };
}

/**
 * The number of drifted-task requests after the drift until the last `recoveryWindow` of them send
 * at least `recoveryShare` to the new best.
 */
function recovery(after: { modelId: string }[], newBest: string): number | null {
  const { recoveryWindow: window, recoveryShare: share } = THRESHOLDS;
  for (let end = window; end <= after.length; end += 1) {
    const hits = after.slice(end - window, end).filter((r) => r.modelId === newBest).length;
    if (hits >= share * window) return end;
  }
  return null;
}

function tenths<T>(items: T[]): T[][] {
  return Array.from({ length: 10 }, (_, i) => items.slice(Math.floor((items.length * i) / 10), Math.floor((items.length * (i + 1)) / 10)));
}

function mapTasks<T>(f: (type: TaskType) => T): Record<TaskType, T> {
  return Object.fromEntries(TASK_TYPES.map((type) => [type, f(type)])) as Record<TaskType, T>;
}

function minBy<T>(items: T[], key: (item: T) => number): T {
  return items.reduce((best, item) => (key(item) < key(best) ? item : best));
}

function check(name: string, passed: boolean, detail: string) {
  return { name, passed, detail };
}

const fixed = (x: number, digits: number) => x.toFixed(digits);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The report as text tables. */
export function formatReport(report: EvalReport): string {
  const { options, settings } = report;
  const lines: string[] = [];
  lines.push(
    `Routing evaluation: ${options.requests} requests, seed ${options.seed}, ${TASK_TYPES.length} task types, ${MODELS.length} models, ` +
      `feedback on ${pct(options.feedbackRate)} of answers; ROUTING_EXPLORATION=${settings.exploration}, ROUTING_COST_WEIGHT=${settings.costWeight}, ` +
      `PERFORMANCE_MAX_EVIDENCE=${settings.maxEvidence}; drift: ${DRIFT.modelId} on ${DRIFT.taskType} drops to ${DRIFT.quality} after ${pct(options.driftAt)} of the run.`,
  );
  lines.push('');
  lines.push(table(['policy', 'avg quality', 'success rate', 'cost / 1K requests'], report.policies.map((p) => [p.policy, fixed(p.quality, 4), pct(p.successRate), `$${fixed(p.costPer1kRequests, 2)}`])));
  lines.push('');
  lines.push(`Single-model policies (none wins): ${report.statics.map((s) => `${s.policy.replace('static ', '')} ${fixed(s.quality, 3)}`).join(', ')}`);
  lines.push('');
  lines.push("Ours: share of each task type's requests sent to the oracle's model, per tenth of that task type's traffic (oldest first):");
  lines.push(
    table(
      ['task type', 'oracle model', ...Array.from({ length: 10 }, (_, i) => `${i + 1}`), 'last 20%'],
      TASK_TYPES.map((type) => {
        const { before, after } = report.oracleModels[type];
        return [type, before === after ? before : `${before} -> ${after}`, ...report.oracleShareOverTime[type].map((x) => fixed(100 * x, 0)), pct(report.lateOracleShare[type])];
      }),
    ),
  );
  lines.push('');
  lines.push(
    `Drift recovery: ${report.recoveryRequests === null ? 'not within the run' : `${report.recoveryRequests} ${DRIFT.taskType} requests`} after the drop ` +
      `until ${pct(THRESHOLDS.recoveryShare)} of a window of ${THRESHOLDS.recoveryWindow} went to ${report.oracleModels[DRIFT.taskType].after}.`,
  );
  lines.push('');
  lines.push(table(['check', 'result', 'detail'], report.checks.map((c) => [c.name, c.passed ? 'PASS' : 'FAIL', c.detail])));
  lines.push('');
  lines.push(`Ran in ${(report.elapsedMs / 1000).toFixed(1)} s.`);
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
