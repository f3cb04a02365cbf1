import { promptChecks, PromptRunReport, reportPromptRun } from './prompt-report';
import { PROMPT_SHORT_RUN, PromptMode, PromptRunOptions, simulatePrompts } from './prompt-simulation';

export const FEEDBACK_RATES = [1, 0.2] as const;
const MODES: PromptMode[] = ['inferred', 'given', 'general'];

export interface PromptScenarioOptions {
  requests: number;
  seed: number;
  settings: Record<string, string>;
  /** Only the runs the targets apply to (kinds from prompts), not the comparison runs. */
  targetsOnly?: boolean;
}

/**
 * The scenario without task types: with feedback on every request and on 20% of them, ours
 * (kinds learned from prompts) and, unless `targetsOnly`, the task-type router given the true
 * family and the single `general` bucket, each on a database of its own.
 */
export async function runPromptScenario(options: PromptScenarioOptions): Promise<PromptRunReport[]> {
  const reports: PromptRunReport[] = [];
  for (const feedbackRate of FEEDBACK_RATES) {
    for (const mode of options.targetsOnly ? (['inferred'] as PromptMode[]) : MODES) {
      const run: PromptRunOptions = { ...PROMPT_SHORT_RUN, requests: options.requests, seed: options.seed, settings: options.settings, feedbackRate, mode };
      reports.push(reportPromptRun(await simulatePrompts(run)));
    }
  }
  return reports;
}

/** Runs the targets' configuration on each seed and says how many passed every check, with the spread of each figure. */
export async function promptSeedSpread(seeds: number[], requests: number, settings: Record<string, string>): Promise<string> {
  const rows: { seed: number; runs: PromptRunReport[] }[] = [];
  for (const seed of seeds) rows.push({ seed, runs: await runPromptScenario({ requests, seed, settings, targetsOnly: true }) });
  const lines = [`Seed spread over seeds ${seeds[0]}..${seeds[seeds.length - 1]} (${requests} requests each):`];
  for (const { seed, runs } of rows) {
    const failed = runs.flatMap(promptChecks).filter((c) => !c.passed);
    const [full, sparse] = runs;
    lines.push(
      `  seed ${seed}: feedback 100%: quality ${share(full.ours.quality / full.oracle.quality)}, cost ${(full.ours.costPer1kRequests / full.oracle.costPer1kRequests).toFixed(2)}x, ` +
        `worst late ${share(Math.min(...Object.values(full.lateBestShare)))}, recovery ${full.recoveryRequests ?? 'never'}, kinds ${full.kinds.count} (purity ${share(full.kinds.purity)}); ` +
        `feedback 20%: quality ${share(sparse.ours.quality / sparse.oracle.quality)}, utility ${sparse.ours.utility.toFixed(4)} vs best static ${sparse.bestStatic.utility.toFixed(4)}` +
        (failed.length === 0 ? '  PASS' : `  FAIL: ${failed.map((c) => c.name).join('; ')}`),
    );
  }
  const passed = rows.filter(({ runs }) => runs.flatMap(promptChecks).every((c) => c.passed)).length;
  lines.push(`${passed} of ${seeds.length} seeds passed every check.`);
  return lines.join('\n');
}

const share = (x: number) => `${(100 * x).toFixed(1)}%`;
