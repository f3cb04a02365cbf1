import { CpuUsage } from './cpu';
import { LoadResult } from './load';
import { PersistedCounts } from './service';

/**
 * What a run's load was sent to: the upstream itself, the peer gateway (`--peer`), or the service
 * through its OpenAI-compatible `/v1/chat/completions` or its own `/api/models/chat`.
 */
export type Via = 'direct' | 'peer' | 'gatewayV1' | 'gateway';
/** The order runs are made in, per scenario (interleaved, so a drift of the machine hits every target alike). */
export const VIAS: Via[] = ['direct', 'peer', 'gatewayV1', 'gateway'];

export interface ScenarioSpec {
  id: string;
  connections: number;
  latencyMs: number;
  /** No model_id: routing chooses among every registered model. */
  routed: boolean;
  stream: boolean;
  /** The direct run this one is compared with. */
  directId: string;
}

export interface Persistence extends PersistedCounts {
  /** Completed rows equal the 2xx answers, nothing else recorded, one published event per request. */
  complete: boolean;
  /** From the end of the run until the outbox had nothing pending. */
  outboxDrainMs: number;
}

export interface Measurement {
  via: Via;
  /** Runs made for this measurement (reruns when other work disturbed a run); the least disturbed is kept. */
  runs?: number;
  load: LoadResult;
  cpu: CpuUsage;
  persistence?: Persistence;
}

/** One run compared with another: `rpsRatio` is this run's req/s over the other's; added latencies in ms. */
export interface Comparison {
  rpsRatio: number;
  addedP50: number;
  addedP90: number;
  addedP99: number;
}

export interface ScenarioResult {
  spec: ScenarioSpec;
  direct?: Measurement;
  /** The peer gateway (`--peer`). */
  peer?: Measurement;
  /** The service's `/v1/chat/completions`. */
  gatewayV1?: Measurement;
  /** The service's `/api/models/chat`. */
  gateway?: Measurement;
  /** `/api/models/chat` minus direct, in milliseconds. */
  added?: { p50: number; p90: number; p99: number };
  /** Each gateway run against the direct run and the peer's run of the same load. */
  comparisons?: Partial<Record<Exclude<Via, 'direct'>, { vsDirect?: Comparison; vsPeer?: Comparison }>>;
}

export function measurements(result: ScenarioResult): Measurement[] {
  return VIAS.flatMap((via) => (result[via] ? [result[via]] : []));
}

export interface TargetResult {
  target: string;
  measured: string;
  pass: boolean;
}

export function scenarioLabel(spec: ScenarioSpec): string {
  return `c${spec.connections} ${spec.latencyMs}ms${spec.routed ? ' routed' : ''}${spec.stream ? ' sse' : ''}`;
}

export function compare(run: Measurement, base: Measurement): Comparison {
  const r = run.load.latency;
  const b = base.load.latency;
  return { rpsRatio: run.load.rps / base.load.rps, addedP50: r.p50 - b.p50, addedP90: r.p90 - b.p90, addedP99: r.p99 - b.p99 };
}

/** Fills `added` and `comparisons`: a scenario without runs of its own (routed) is compared with its `directId` scenario's. */
export function addedLatency(results: ScenarioResult[]): void {
  for (const result of results) {
    const base = results.find((r) => r.spec.id === result.spec.directId);
    const direct = base?.direct;
    const peer = base?.peer;
    result.comparisons = {};
    for (const via of ['peer', 'gatewayV1', 'gateway'] as const) {
      const run = result[via];
      if (!run) continue;
      result.comparisons[via] = {
        ...(direct ? { vsDirect: compare(run, direct) } : {}),
        ...(peer && via !== 'peer' ? { vsPeer: compare(run, peer) } : {}),
      };
    }
    if (!direct || !result.gateway) continue;
    const d = direct.load.latency;
    const g = result.gateway.load.latency;
    result.added = { p50: g.p50 - d.p50, p90: g.p90 - d.p90, p99: g.p99 - d.p99 };
  }
}

/** The table's name for a run: the peer by its name, the service by its endpoint. */
export function viaLabel(via: Via, peerName = 'peer'): string {
  switch (via) {
    case 'direct':
      return 'direct';
    case 'peer':
      return peerName;
    case 'gatewayV1':
      return 'gateway /v1';
    case 'gateway':
      return 'gateway /api';
  }
}

/**
 * The targets of issue #18, as ratios to the peer gateway measured in the same run (absolute
 * figures on a shared 2-core machine are not stable), for both of the service's paths; without a
 * peer only the correctness targets. Every request persisted is checked in every case.
 */
export function evaluateTargets(results: ScenarioResult[], peerName = 'peer'): TargetResult[] {
  const byId = (id: string): ScenarioResult | undefined => results.find((r) => r.spec.id === id);
  const targets: TargetResult[] = [];
  const paths = ['gatewayV1', 'gateway'] as const;

  for (const id of ['c100-0ms', 'c100-50ms']) {
    for (const via of paths) {
      const result = byId(id);
      const vsPeer = result?.comparisons?.[via]?.vsPeer;
      if (!result || !vsPeer) continue;
      targets.push({ target: `${scenarioLabel(result.spec)}, ${viaLabel(via)}: req/s >= 1.0x ${peerName}'s`, measured: `${fmt(vsPeer.rpsRatio, 2)}x`, pass: vsPeer.rpsRatio >= 1 });
    }
  }
  for (const via of paths) {
    const vsPeer = byId('c10-50ms')?.comparisons?.[via]?.vsPeer;
    if (!vsPeer) continue;
    const name = `c10 50ms, ${viaLabel(via)}`;
    targets.push({ target: `${name}: added p50 <= ${peerName}'s + 1 ms`, measured: `${fmt(vsPeer.addedP50, 2)} ms over`, pass: vsPeer.addedP50 <= 1 });
    targets.push({ target: `${name}: added p99 <= ${peerName}'s`, measured: `${fmt(vsPeer.addedP99, 2)} ms over`, pass: vsPeer.addedP99 <= 0 });
  }
  const stream = results.find((r) => r.spec.stream);
  const firstByte = (m: Measurement | undefined) => (m?.load as Partial<{ firstByte: { p50: number } }> | undefined)?.firstByte?.p50;
  const peerFirst = firstByte(stream?.peer);
  for (const via of paths) {
    const first = firstByte(stream?.[via]);
    if (peerFirst === undefined || first === undefined) continue;
    targets.push({
      target: `${scenarioLabel(stream!.spec)}, ${viaLabel(via)}: time to first byte p50 <= ${peerName}'s`,
      measured: `${fmt(first - peerFirst, 2)} ms over`,
      pass: first <= peerFirst,
    });
  }

  const c100fast = byId('c100-0ms')?.gateway;
  if (c100fast) {
    targets.push({ target: 'c100 0ms, gateway /api: 0 errors', measured: String(c100fast.load.errors), pass: c100fast.load.errors === 0 });
    const p = c100fast.persistence;
    if (p) {
      targets.push({
        target: 'c100 0ms, gateway /api: every request persisted',
        measured: `${p.requests.completed ?? 0} completed rows for ${c100fast.load.ok} answers, ${p.outboxEvents} events (${p.outboxPending} pending)`,
        pass: p.complete,
      });
    }
  }
  return targets;
}

function fmt(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
}

function table(headers: string[], rows: string[][], leftColumns: number): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The side-by-side table: ratios and added latencies against direct and against the peer's run of the same load. */
export function formatResults(results: ScenarioResult[], peerName?: string): string {
  const rows: string[][] = [];
  const ratio = (c: Comparison | undefined): string => (c ? fmt(c.rpsRatio, 3) : '');
  const ms = (c: Comparison | undefined, key: 'addedP50' | 'addedP99'): string => (c ? fmt(c[key], 2) : '');
  for (const result of results) {
    for (const m of measurements(result)) {
      const { load } = m;
      const compared = m.via === 'direct' ? undefined : result.comparisons?.[m.via];
      const p = m.persistence;
      rows.push([
        scenarioLabel(result.spec),
        viaLabel(m.via, peerName),
        String(load.ok + load.errors),
        fmt(load.rps, 0),
        fmt(load.latency.p50, 2),
        fmt(load.latency.p90, 2),
        fmt(load.latency.p99, 2),
        String(load.errors),
        ms(compared?.vsDirect, 'addedP50'),
        ms(compared?.vsDirect, 'addedP99'),
        ratio(compared?.vsDirect),
        ratio(compared?.vsPeer),
        ms(compared?.vsPeer, 'addedP50'),
        ms(compared?.vsPeer, 'addedP99'),
        p ? `${p.requests.completed ?? 0}/${load.ok}${p.complete ? '' : ' (!)'}` : '',
      ]);
    }
  }
  return table(
    ['scenario', 'via', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'added p50', 'added p99', 'x direct', 'x peer', 'p50 vs peer', 'p99 vs peer', 'persisted'],
    rows,
    2,
  );
}

export function formatCpu(results: ScenarioResult[], peerName?: string): string {
  const rows: string[][] = [];
  for (const result of results) {
    for (const m of measurements(result)) {
      const { perRequestMs: per, cores } = m.cpu;
      rows.push([
        scenarioLabel(result.spec),
        viaLabel(m.via, peerName),
        fmt(per.gateway, 3),
        fmt(per.upstream, 3),
        fmt(per.postgres, 3),
        fmt(per.redis, 3),
        fmt(per.loadGenerator, 3),
        fmt(cores.gateway, 2),
        fmt(m.cpu.machineCores, 2),
        fmt(m.cpu.otherCores, 2),
        fmt(m.cpu.stealCores, 2),
      ]);
    }
  }
  return table(
    ['scenario', 'via', 'gateway', 'upstream', 'postgres', 'redis', 'load gen', 'gateway cores', 'machine cores', 'other cores', 'steal'],
    rows,
    2,
  );
}

/** Runs during which processes outside the benchmark (or other VMs) took more than `threshold` cores, even after reruns. */
export function noisyRuns(results: ScenarioResult[], threshold = 0.2): string[] {
  return results.flatMap((r) =>
    measurements(r).flatMap((m) => {
      const taken = m.cpu.otherCores + m.cpu.stealCores;
      return taken > threshold ? [`${scenarioLabel(r.spec)} ${viaLabel(m.via)} (${taken.toFixed(2)} cores)`] : [];
    }),
  );
}

export function formatTargets(targets: TargetResult[]): string {
  const width = Math.max(0, ...targets.map((t) => t.target.length));
  return targets.map((t) => `  ${t.pass ? 'PASS' : 'MISS'}  ${t.target.padEnd(width)}  ${t.measured}`).join('\n');
}
