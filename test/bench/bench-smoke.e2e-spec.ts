import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerInstalled } from '../../scripts/bench/peer';

const ROOT = join(__dirname, '..', '..');

/**
 * The benchmark's smoke run, so CI proves `npm run bench` still works end to end (build, bench
 * database, fake upstream, production service, load, row counts). It asserts nothing about speed.
 * When the peer gateway is installed (scripts/bench/peers/portkey/node_modules; CI does not install
 * it), the smoke also runs it for 2 s and this proves it answered every request.
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

  it('drives the upstream, the peer when installed and both gateway endpoints, prints the table and persists every answered request', async () => {
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
    expect(stdout).toMatch(
      /scenario\s+via\s+requests\s+req\/s\s+p50 ms\s+p90 ms\s+p99 ms\s+errors\s+added p50\s+added p99\s+x direct\s+x peer\s+p50 vs peer\s+p99 vs peer\s+persisted/,
    );

    // The table's persisted column: completed rows / 2xx answers, for both endpoints, JSON and streamed.
    for (const [scenario, endpoint] of [['c10 0ms', '/api'], ['c10 0ms', '/v1'], ['c10 0ms sse', '/api'], ['c10 0ms sse', '/v1']]) {
      const row = new RegExp(`^${scenario}\\s+gateway ${endpoint}\\s+(\\d+)\\s.*\\s(\\d+)/(\\d+)\\s*$`, 'm').exec(stdout);
      expect({ scenario, endpoint, found: row !== null }).toEqual({ scenario, endpoint, found: true });
      const [, requests, persisted, answered] = row!.map(Number);
      expect(answered).toBeGreaterThan(0);
      expect(persisted).toBe(answered);
      expect(answered).toBe(requests);
    }

    const report = JSON.parse(readFileSync(out, 'utf8'));
    for (const scenario of report.scenarios) {
      for (const via of ['gateway', 'gatewayV1']) {
        const run = scenario[via];
        expect({ scenario: scenario.spec.id, via, errors: run.load.errors }).toEqual({ scenario: scenario.spec.id, via, errors: 0 });
        expect(run.persistence).toMatchObject({ complete: true, requests: { completed: run.load.ok }, outboxPending: 0 });
      }
      expect(scenario.direct.load.ok).toBeGreaterThan(0);
      expect(scenario.comparisons.gateway.vsDirect.rpsRatio).toBeGreaterThan(0);
    }

    if (peerInstalled('portkey')) {
      expect(report.peer).toMatchObject({ name: 'portkey', version: '1.15.2' });
      expect(stdout).toMatch(/^c10 0ms\s+portkey\s+\d+/m);
      for (const scenario of report.scenarios) {
        expect({ scenario: scenario.spec.id, errors: scenario.peer.load.errors }).toEqual({ scenario: scenario.spec.id, errors: 0 });
        expect(scenario.peer.load.ok).toBeGreaterThan(0);
        expect(scenario.peer.load.elapsedMs).toBeGreaterThanOrEqual(2000);
        expect(scenario.comparisons.gateway.vsPeer.rpsRatio).toBeGreaterThan(0);
      }
    } else {
      expect(report.peer).toBeNull();
    }
  }, 300_000);
});
