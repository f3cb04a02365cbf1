import { readFileSync } from 'node:fs';
import { categoryOf } from './cpu-profile';

/**
 * Reads a V8 sampling heap profile (`.heapprofile`, written by the bench probe with
 * `--profile-heap`, which also counts objects the collector has freed) and reports what the
 * service allocates per request: by allocating function, and by the nearest function of our own
 * code on the stack (what a change in `src/` could avoid).
 *
 *   npx ts-node --transpile-only scripts/bench/heap-profile.ts bench-results/profile/service.heapprofile --requests N [--top 20]
 */

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children?: HeapNode[];
}

export interface HeapProfile {
  head: HeapNode;
}

export interface HeapEntry {
  name: string;
  bytesPerRequest: number;
}

export interface HeapSummary {
  bytesPerRequest: number;
  byFunction: HeapEntry[];
  byOurFunction: HeapEntry[];
}

function label(frame: HeapNode['callFrame']): string {
  const name = frame.functionName || '(anonymous)';
  const category = categoryOf(frame);
  return category.startsWith('src/') ? `${name}  [${category}]` : `${name}  [${category}:${frame.lineNumber + 1}]`;
}

export function summarizeHeap(profile: HeapProfile, requests: number, top = 20): HeapSummary {
  const byFunction = new Map<string, number>();
  const byOurFunction = new Map<string, number>();
  let total = 0;
  // Depth-first with an explicit stack: a deep profile must not overflow the call stack.
  const pending: { node: HeapNode; ours: string | null }[] = [{ node: profile.head, ours: null }];
  while (pending.length > 0) {
    const { node, ours: above } = pending.pop()!;
    const name = label(node.callFrame);
    const ours = categoryOf(node.callFrame).startsWith('src/') ? name : above;
    total += node.selfSize;
    byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
    const owner = ours ?? '(no frame of ours on the stack)';
    byOurFunction.set(owner, (byOurFunction.get(owner) ?? 0) + node.selfSize);
    for (const child of node.children ?? []) pending.push({ node: child, ours });
  }
  const ranked = (map: Map<string, number>) =>
    [...map]
      .filter(([, bytes]) => bytes > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, bytes]) => ({ name, bytesPerRequest: bytes / requests }));
  return { bytesPerRequest: total / requests, byFunction: ranked(byFunction), byOurFunction: ranked(byOurFunction) };
}

export function formatHeap(summary: HeapSummary): string {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(2).padStart(8)} KiB`;
  const section = (title: string, entries: HeapEntry[]) => [title, ...entries.map((e) => `${kib(e.bytesPerRequest)}  ${e.name}`), ''];
  return [
    `allocated: ${(summary.bytesPerRequest / 1024).toFixed(1)} KiB per request (sampled, freed objects included)`,
    '',
    ...section('By allocating function', summary.byFunction),
    ...section('By the nearest function of ours on the stack', summary.byOurFunction),
  ].join('\n');
}

if (require.main === module) {
  const [file] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const option = (name: string): number | undefined => {
    const index = process.argv.indexOf(name);
    return index === -1 ? undefined : Number(process.argv[index + 1]);
  };
  const requests = option('--requests');
  if (!file || !requests) {
    console.error('usage: heap-profile.ts <file.heapprofile> --requests N [--top N]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as HeapProfile;
  console.log(formatHeap(summarizeHeap(profile, requests, option('--top') ?? 20)));
}
