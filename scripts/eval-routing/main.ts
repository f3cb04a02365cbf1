import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPromptReport, promptChecks } from './prompt-report';
import { promptSeedSpread, runPromptScenario } from './prompt-scenario';
import { PROMPT_SHORT_RUN } from './prompt-simulation';
import { evaluate, formatReport } from './report';
import { simulate } from './simulation';
import { EvalOptions, FULL_RUN, SHORT_RUN } from './world';

/**
 * `npm run eval:routing`: the offline routing evaluation (docs/routing.md, 'Evaluation'), in two
 * scenarios: requests with task types, and requests without (prompts of five families).
 * Options: --short (the CI configuration), --requests <n>, --seed <n>, --feedback-rate <0..1> (task types),
 * --prompt-requests <n> (without task types), --scenario task-types|prompts|all (default all),
 * --seeds <from>-<to> (without task types: the targets' runs on each seed, for the spread),
 * --set NAME=VALUE (a service setting instead of its default, e.g. --set ROUTING_EXPLORATION=1; repeatable),
 * --out <file> (default eval-results/routing-<requests>-<seed>.json). Exits 1 when a check fails.
 */
async function main(argv: string[]): Promise<void> {
  const value = (name: string) => {
    const index = argv.indexOf(name);
    return index === -1 ? undefined : argv[index + 1];
  };
  const short = argv.includes('--short');
  const base = short ? SHORT_RUN : FULL_RUN;
  const scenario = value('--scenario') ?? 'all';
  const options: EvalOptions = {
    ...base,
    requests: Number(value('--requests') ?? base.requests),
    seed: Number(value('--seed') ?? base.seed),
    feedbackRate: Number(value('--feedback-rate') ?? base.feedbackRate),
    settings: Object.fromEntries(argv.flatMap((arg, i) => (argv[i - 1] === '--set' ? [arg.split('=', 2) as [string, string]] : []))),
  };
  const promptRequests = Number(value('--prompt-requests') ?? (short ? PROMPT_SHORT_RUN.requests : 2 * PROMPT_SHORT_RUN.requests));
  const seeds = value('--seeds');
  if (seeds) {
    const [from, to] = seeds.split('-').map(Number);
    console.log(await promptSeedSpread(Array.from({ length: to - from + 1 }, (_, i) => from + i), promptRequests, options.settings));
    return;
  }

  const out = value('--out') ?? join('eval-results', `routing-${options.requests}-${options.seed}.json`);
  const result: Record<string, unknown> = {};
  let failed = false;
  if (scenario !== 'prompts') {
    const report = evaluate(await simulate(options), options);
    console.log(formatReport(report));
    result.taskTypes = report;
    failed ||= report.checks.some((c) => !c.passed);
  }
  if (scenario !== 'task-types') {
    const runs = await runPromptScenario({ requests: promptRequests, seed: options.seed, settings: options.settings });
    console.log(`\n${formatPromptReport(runs)}`);
    result.withoutTaskTypes = runs;
    failed ||= runs.flatMap(promptChecks).some((c) => !c.passed);
  }
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`Wrote ${out}`);
  if (failed) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
