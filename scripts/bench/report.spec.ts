import { CpuUsage } from './cpu';
import { summarize } from './load';
import { addedLatency, formatResults, Measurement, ScenarioResult, ScenarioSpec, Via } from './report';

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
});
