import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, formatReport } from './report';
import { simulate } from './simulation';
import { EvalOptions, FULL_RUN, SHORT_RUN } from './world';

/**
 * `npm run eval:routing`: the offline routing evaluation (docs/routing.md, 'Evaluation').
 * Options: --short (the CI configuration), --requests <n>, --seed <n>, --feedback-rate <0..1>,
 * --set NAME=VALUE (a service setting instead of its default, e.g. --set ROUTING_EXPLORATION=1; repeatable),
 * --out <file> (default eval-results/routing-<requests>-<seed>.json). Exits 1 when a check fails.
 */
async function main(argv: string[]): Promise<void> {
  const value = (name: string) => {
    const index = argv.indexOf(name);
    return index === -1 ? undefined : argv[index + 1];
  };
  const base = argv.includes('--short') ? SHORT_RUN : FULL_RUN;
  const options: EvalOptions = {
    ...base,
    requests: Number(value('--requests') ?? base.requests),
    seed: Number(value('--seed') ?? base.seed),
    feedbackRate: Number(value('--feedback-rate') ?? base.feedbackRate),
    settings: Object.fromEntries(argv.flatMap((arg, i) => (argv[i - 1] === '--set' ? [arg.split('=', 2) as [string, string]] : []))),
  };
  const report = evaluate(await simulate(options), options);
  console.log(formatReport(report));

  const out = value('--out') ?? join('eval-results', `routing-${options.requests}-${options.seed}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`Wrote ${out}`);
  if (report.checks.some((c) => !c.passed)) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
