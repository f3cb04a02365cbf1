import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The benchmark's smoke run, so CI proves `npm run bench` still works end to end (build, bench
 * database, fake upstream, production service, load, row counts). It asserts nothing about speed.
 */
describe('npm run bench -- --smoke', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const out = join(outDir, 'smoke.json');
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(outDir, { recursive: true, force: true });
  });

  it('drives the gateway and the upstream, prints the table and persists every answered request', async () => {
    child = spawn('npm', ['run', 'bench', '--', '--smoke', '--out', out, '--database-url', 'postgres://postgres@127.0.0.1:5432/model_orchestration_bench_smoke'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];

    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/scenario\s+via\s+requests\s+req\/s\s+p50 ms\s+p90 ms\s+p99 ms\s+errors\s+added p50\s+added p99\s+persisted/);

    // The table's persisted column: completed rows / 2xx answers.
    const row = /^c10 0ms\s+gateway\s+(\d+)\s.*\s(\d+)\/(\d+)\s*$/m.exec(stdout);
    expect(row).not.toBeNull();
    const [, requests, persisted, answered] = row!.map(Number);
    expect(answered).toBeGreaterThan(0);
    expect(persisted).toBe(answered);
    expect(answered).toBe(requests);

    const report = JSON.parse(readFileSync(out, 'utf8'));
    const gateway = report.scenarios[0].gateway;
    expect(gateway.load.errors).toBe(0);
    expect(gateway.persistence).toMatchObject({ complete: true, requests: { completed: gateway.load.ok }, outboxPending: 0 });
    expect(report.scenarios[0].direct.load.ok).toBeGreaterThan(0);
  }, 180_000);
});
