import { CpuUsage } from './cpu';
import { summarize } from './load';
import { addedLatency, evaluateTargets, formatResults, Measurement, ScenarioResult, ScenarioSpec, Via } from './report';

const cpu: CpuUsage = {
  perRequestMs: { gateway: 0, upstream: 0, postgres: 0, redis: 0, loadGenerator: 0 },
  cores: { gateway: 0, upstream: 0, postgres: 0, redis: 0, loadGenerator: 0 },
  machineCores: 0,
  otherCores: 0,
  stealCores: 0,
};

function run(via: Via, rps: number, latencyMs: number): Measurement {
  return { via, cpu, load: { ok: rps, errors: 0, statusCodes: { 200: rps }, rps, elapsedMs: 1000, latency: summarize([latencyMs]) } };
}

function spec(id: string, directId = id): ScenarioSpec {
  return { id, connections: 100, latencyMs: 0, routed: id !== directId, stream: false, directId };
}

describe('bench report comparisons', () => {
  it('rates each gateway run against direct and the peer, and a routed scenario against its base scenario', () => {
    const results: ScenarioResult[] = [
      { spec: spec('c100-0ms'), direct: run('direct', 1000, 2), peer: run('peer', 500, 10), gatewayV1: run('gatewayV1', 250, 30), gateway: run('gateway', 200, 40) },
      { spec: spec('c100-0ms-routed', 'c100-0ms'), gatewayV1: run('gatewayV1', 100, 50), gateway: run('gateway', 400, 20) },
    ];
    addedLatency(results);

    expect(results[0].comparisons).toEqual({
      peer: { vsDirect: { rpsRatio: 0.5, addedP50: 8, addedP90: 8, addedP99: 8 } },
      gatewayV1: { vsDirect: { rpsRatio: 0.25, addedP50: 28, addedP90: 28, addedP99: 28 }, vsPeer: { rpsRatio: 0.5, addedP50: 20, addedP90: 20, addedP99: 20 } },
      gateway: { vsDirect: { rpsRatio: 0.2, addedP50: 38, addedP90: 38, addedP99: 38 }, vsPeer: { rpsRatio: 0.4, addedP50: 30, addedP90: 30, addedP99: 30 } },
    });
    expect(results[0].added).toEqual({ p50: 38, p90: 38, p99: 38 });
    expect(results[1].comparisons?.gateway).toEqual({
      vsDirect: { rpsRatio: 0.4, addedP50: 18, addedP90: 18, addedP99: 18 },
      vsPeer: { rpsRatio: 0.8, addedP50: 10, addedP90: 10, addedP99: 10 },
    });
  });

  it('prints the runs of a scenario in the order they ran, the peer by its name, and leaves peer columns empty without a peer', () => {
    const results: ScenarioResult[] = [{ spec: spec('c10-0ms'), direct: run('direct', 1000, 1), peer: run('peer', 500, 3), gateway: run('gateway', 100, 11) }];
    addedLatency(results);
    const lines = formatResults(results, 'portkey').split('\n');
    expect(lines.slice(2).map((line) => line.split(/\s{2,}/).slice(1, 2)[0])).toEqual(['direct', 'portkey', 'gateway /api']);
    expect(lines[4]).toMatch(/gateway \/api\s+100\s+100\s+11\.00\s+11\.00\s+11\.00\s+0\s+10\.00\s+10\.00\s+0\.100\s+0\.200\s+8\.00\s+8\.00\s*$/);

    const alone: ScenarioResult[] = [{ spec: spec('c10-0ms'), direct: run('direct', 1000, 1), gateway: run('gateway', 100, 11) }];
    addedLatency(alone);
    expect(formatResults(alone).split('\n')[3]).toMatch(/\s0\.100\s*$/);
  });

  it('rates the targets of issue #18 as ratios to the peer in the same run, on both paths; without a peer only correctness', () => {
    const scenario = (id: string, connections: number, latencyMs: number, stream = false): ScenarioSpec => ({ id, connections, latencyMs, routed: false, stream, directId: id });
    const withFirstByte = (m: Measurement, p50: number): Measurement => ({ ...m, load: { ...m.load, firstByte: summarize([p50]) } as Measurement['load'] });
    const results: ScenarioResult[] = [
      { spec: scenario('c100-0ms', 100, 0), direct: run('direct', 5000, 2), peer: run('peer', 1000, 80), gatewayV1: run('gatewayV1', 1000, 90), gateway: run('gateway', 900, 95) },
      { spec: scenario('c10-50ms', 10, 50), direct: run('direct', 200, 50), peer: run('peer', 190, 52), gatewayV1: run('gatewayV1', 185, 53), gateway: run('gateway', 180, 54) },
      {
        spec: scenario('c10-0ms-sse', 10, 0, true),
        direct: withFirstByte(run('direct', 9000, 1), 1),
        peer: withFirstByte(run('peer', 300, 30), 30),
        gatewayV1: withFirstByte(run('gatewayV1', 400, 20), 20),
        gateway: withFirstByte(run('gateway', 400, 31), 31),
      },
    ];
    addedLatency(results);
    const verdicts = Object.fromEntries(evaluateTargets(results, 'portkey').map((t) => [t.target, [t.pass, t.measured]]));
    expect(verdicts).toEqual({
      "c100 0ms, gateway /v1: req/s >= 1.0x portkey's": [true, '1.00x'],
      "c100 0ms, gateway /api: req/s >= 1.0x portkey's": [false, '0.90x'],
      "c10 50ms, gateway /v1: added p50 <= portkey's + 1 ms": [true, '1.00 ms over'],
      "c10 50ms, gateway /v1: added p99 <= portkey's": [false, '1.00 ms over'],
      "c10 50ms, gateway /api: added p50 <= portkey's + 1 ms": [false, '2.00 ms over'],
      "c10 50ms, gateway /api: added p99 <= portkey's": [false, '2.00 ms over'],
      "c10 0ms sse, gateway /v1: time to first byte p50 <= portkey's": [true, '-10.00 ms over'],
      "c10 0ms sse, gateway /api: time to first byte p50 <= portkey's": [false, '1.00 ms over'],
      'c100 0ms, gateway /api: 0 errors': [true, '0'],
    });

    const alone = results.map(({ peer: _peer, ...rest }) => rest);
    addedLatency(alone);
    expect(evaluateTargets(alone).map((t) => t.target)).toEqual(['c100 0ms, gateway /api: 0 errors']);
  });
});
