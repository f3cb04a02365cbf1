import { readFileSync } from 'node:fs';

/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof` or the inspector) and reports where the time
 * went: self time per category (our code, each npm package, Node core, GC), the top functions by
 * self time, and inclusive time (on the stack at all) per package and per function of our code.
 *
 *   npx ts-node --transpile-only scripts/bench/cpu-profile.ts bench-results/profile/service.cpuprofile [--top 25]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  ms: number;
  /** Share of the non-idle time. */
  share: number;
}

export interface ProfileSummary {
  sampledMs: number;
  idleMs: number;
  busyMs: number;
  selfByCategory: Entry[];
  selfByFunction: Entry[];
  inclusiveByCategory: Entry[];
  inclusiveByOurFunction: Entry[];
}

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/** Where a frame's code lives: `src/<file>.ts` for ours, the package for node_modules, `node core`, or a V8 pseudo-frame. */
export function categoryOf(frame: CallFrame): string {
  if (SPECIAL.has(frame.functionName) && frame.url === '') return frame.functionName;
  const { url } = frame;
  if (url === '') return '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node core';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const ours = /\/dist\/(src\/.+)\.js$/.exec(url);
  if (ours) return `${ours[1]}.ts`;
  if (url.includes('/scripts/bench/')) return 'bench probe';
  return url.replace(/^file:\/\//, '');
}

function isOurs(category: string): boolean {
  return category.startsWith('src/');
}

function functionLabel(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  const category = categoryOf(frame);
  if (SPECIAL.has(category)) return category;
  if (isOurs(category)) return `${name}  [${category}]`;
  const modules = frame.url.lastIndexOf('/node_modules/');
  const file = modules !== -1 ? frame.url.slice(modules + '/node_modules/'.length) : frame.url.replace(/^node:/, 'node:');
  return `${name}  [${file}:${frame.lineNumber + 1}]`;
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  // Each sample lasts until the next one is taken.
  const durationUs = profile.samples.map((_, i) => profile.timeDeltas[i + 1] ?? 0);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + durationUs[i]));

  const selfByCategory = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByCategory = new Map<string, number>();
  const inclusiveByOurFunction = new Map<string, number>();
  let idleUs = 0;
  let sampledUs = 0;

  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    sampledUs += us;
    const category = categoryOf(frame);
    if (category === '(idle)') {
      idleUs += us;
      continue;
    }
    add(selfByCategory, category, us);
    add(selfByFunction, functionLabel(frame), us);

    // Inclusive: every category and function of ours on the stack, once per sample.
    const categories = new Set<string>();
    const functions = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parentOf.get(node)) {
      const ancestor = byId.get(node)!.callFrame;
      const ancestorCategory = categoryOf(ancestor);
      if (ancestorCategory === '(root)') continue;
      categories.add(ancestorCategory);
      if (isOurs(ancestorCategory)) functions.add(functionLabel(ancestor));
    }
    for (const c of categories) add(inclusiveByCategory, c, us);
    for (const f of functions) add(inclusiveByOurFunction, f, us);
  }

  const busyUs = sampledUs - idleUs;
  const entries = (map: Map<string, number>, limit: number): Entry[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));

  return {
    sampledMs: sampledUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    selfByCategory: entries(selfByCategory, top),
    selfByFunction: entries(selfByFunction, top),
    inclusiveByCategory: entries(inclusiveByCategory, top),
    inclusiveByOurFunction: entries(inclusiveByOurFunction, top),
  };
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

export function formatSummary(summary: ProfileSummary, requests?: number): string {
  const perRequest = (ms: number): string => (requests ? `  ${((ms * 1000) / requests).toFixed(1).padStart(6)} us/req` : '');
  const section = (title: string, list: Entry[]): string[] => [
    title,
    ...list.map((e) => `  ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.ms.toFixed(0).padStart(7)} ms${perRequest(e.ms)}  ${e.name}`),
    '',
  ];
  const busyShare = summary.sampledMs > 0 ? (summary.busyMs / summary.sampledMs) * 100 : 0;
  return [
    `main thread: ${summary.sampledMs.toFixed(0)} ms sampled, ${summary.busyMs.toFixed(0)} ms busy (${busyShare.toFixed(0)}%)` +
      (requests ? `, ${((summary.busyMs * 1000) / requests).toFixed(0)} us of CPU per request over ${requests} requests` : ''),
    '(shares are of busy time)',
    '',
    ...section('Self time by category', summary.selfByCategory),
    ...section('Self time by function', summary.selfByFunction),
    ...section('Inclusive time by category (on the stack)', summary.inclusiveByCategory),
    ...section('Inclusive time of our functions (synchronous part)', summary.inclusiveByOurFunction),
  ].join('\n');
}

if (require.main === module) {
  const [file] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  if (!file) {
    console.error('usage: cpu-profile.ts <file.cpuprofile> [--top N] [--requests N]');
    process.exit(2);
  }
  const option = (name: string): number | undefined => {
    const index = process.argv.indexOf(name);
    return index === -1 ? undefined : Number(process.argv[index + 1]);
  };
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(formatSummary(summarizeProfile(profile, option('--top') ?? 25), option('--requests')));
}
