import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The scenario runs in a child process: the defect it guards against was a microtask loop, which
 * starves timers too, so in this process it would hang the test run instead of failing a test.
 */
function runInChild(script: string): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: join(__dirname, '../..'),
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('PromptKindsService', () => {
  it('lets prompts waiting on a new kind go on once another instance took its id and the kinds are reloaded', () => {
    const { status, stdout, stderr } = runInChild(`
      const { PromptKindsService } = require('./src/routing/prompt-kinds.service');
      const { addTo, emptyKind } = require('./src/routing/prompt-kinds');
      const { promptFeatures, hintWords } = require('./src/routing/prompt-features');
      const text = 'Write a SQL query that counts the orders of each customer last month.';
      // What the other instance stored at the same moment.
      const stored = () => {
        const kind = emptyKind(1);
        addTo(kind, promptFeatures(text), hintWords(text));
        return [kind];
      };
      const repository = {
        create: async () => null,
        // Reading the kinds back is I/O: it completes in a later turn of the event loop.
        all: () => new Promise((resolve) => setImmediate(() => resolve(stored()))),
        add: async () => undefined,
      };
      const feed = { follow: async () => true, announce: () => undefined, close: () => undefined };
      const service = new PromptKindsService({ routing: { promptKinds: 4 } }, repository, { changeFeed: () => feed });
      Promise.all([service.kindOf(text), service.kindOf(text), service.kindOf(text)]).then((names) => {
        console.log(JSON.stringify({ names, kinds: service.list() }));
        process.exit(0);
      });
    `);

    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({ names: ['kind-01', 'kind-01', 'kind-01'], kinds: [{ name: 'kind-01', requests: 4 }] });
  });
});
