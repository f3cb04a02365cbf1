import { formatHeap, HeapProfile, summarizeHeap } from './heap-profile';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9, columnNumber: 0 });

/** root -> handler (ours) -> validate (a package) -> allocations; root -> timers (node) -> allocations. */
const profile: HeapProfile = {
  head: {
    callFrame: frame('(root)', ''),
    selfSize: 0,
    children: [
      {
        callFrame: frame('handle', 'file:///app/dist/src/inference/inference.controller.js'),
        selfSize: 1024,
        children: [{ callFrame: frame('validate', 'file:///app/node_modules/class-validator/cjs/index.js'), selfSize: 4096 }],
      },
      { callFrame: frame('listOnTimeout', 'node:internal/timers'), selfSize: 2048 },
    ],
  },
};

describe('summarizeHeap', () => {
  it('gives bytes per request by allocating function and by the nearest function of ours', () => {
    const summary = summarizeHeap(profile, 2);
    expect(summary.bytesPerRequest).toBe((1024 + 4096 + 2048) / 2);
    expect(summary.byFunction).toEqual([
      { name: 'validate  [class-validator:10]', bytesPerRequest: 2048 },
      { name: 'listOnTimeout  [node core:10]', bytesPerRequest: 1024 },
      { name: 'handle  [src/inference/inference.controller.ts]', bytesPerRequest: 512 },
    ]);
    expect(summary.byOurFunction).toEqual([
      { name: 'handle  [src/inference/inference.controller.ts]', bytesPerRequest: (1024 + 4096) / 2 },
      { name: '(no frame of ours on the stack)', bytesPerRequest: 1024 },
    ]);
    expect(formatHeap(summary)).toContain('allocated: 3.5 KiB per request');
  });
});
