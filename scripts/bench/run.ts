import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';
import { CpuProfile, formatSummary, summarizeProfile } from './cpu-profile';
import { formatHeap, HeapProfile, summarizeHeap } from './heap-profile';
import { FIRST_TOKEN_JSON } from './fake-upstream';
import { LoadResult, runLoad } from './load';
import { installPeer, PeerDefinition, peerInstalled, PEERS, RunningPeer, startPeer } from './peer';
import { runStreamLoad } from './stream-load';
import type { IoStats } from './probe';
import { CpuSample, cpuUsage, pidsNamed, sampleCpu } from './cpu';
import { EphemeralRedis, Spawned, stopAll, waitUntil } from '../lib/processes';
import {
  addedLatency,
  evaluateTargets,
  formatCpu,
  formatResults,
  formatTargets,
  Measurement,
  measurements,
  noisyRuns,
  Persistence,
  scenarioLabel,
  ScenarioResult,
  ScenarioSpec,
  Via,
  viaLabel,
} from './report';
import { BenchDatabase, build, DEFAULT_DATABASE_URL, prepareDatabase, registerModel, ROOT, RunningService, startFakeUpstream, startService } from './service';

/**
 * `npm run bench`: gateway overhead and throughput against a fake OpenAI-protocol upstream on the
 * same machine (overhead = gateway latency minus the latency of the same load sent straight to
 * the upstream). See docs/performance.md.
 *
 * Each scenario runs its load, interleaved: straight at the upstream, at the peer gateway (`--peer
 * portkey`: installed in scripts/bench/peers/portkey on first use), at the service's
 * /v1/chat/completions, at its /api/models/chat. Streamed scenarios measure the time to the first token.
 *
 * Options: --duration <s> (10), --warmup <s> (2), --scenarios <id,...|none>, --peer <name|none>,
 * --smoke (short runs, exits non-zero on any error; includes a 2 s run of an installed peer), --profile (adds a CPU-profiled c100/0 ms run with query counts;
 * --profile-scenario <id> profiles another scenario; --profile-path v1 profiles /v1/chat/completions instead of /api/models/chat;
 * --profile-heap also samples what the service allocates per request),
 * --retries <n> (2; reruns a scenario disturbed by other work on the machine, keeping the least
 * disturbed run), --no-build, --database-url <url>, --redis-url <url> (default: a private redis-server),
 * --out <file> (bench-results/latest.json).
 */

const MODEL_FAST = 'bench-upstream-0ms';
const MODEL_SLOW = 'bench-upstream-50ms';
const REPLY = 'Hello from the bench upstream.';
const DEFAULT_PROFILE_SCENARIO = 'c100-0ms';
/** Cores used by processes outside the benchmark above which a run counts as disturbed. */
const NOISE_CORES = 0.2;

function disturbance(m: Measurement): number {
  return m.cpu.otherCores + m.cpu.stealCores;
}

interface Options {
  durationMs: number;
  warmupMs: number;
  scenarios: ScenarioSpec[];
  smoke: boolean;
  /** The scenario to profile, or null for no profile run. */
  profile: ScenarioSpec | null;
  /** The path the profiled load goes to. */
  profileVia: 'gateway' | 'gatewayV1';
  profileHeap: boolean;
  build: boolean;
  /** Extra runs of a scenario disturbed by other work on the machine. */
  retries: number;
  databaseUrl: string;
  redisUrl: string | null;
  out: string;
  /** The gateway run side by side with the service, if any. */
  peer: PeerDefinition | null;
  /** Measured seconds of the peer's runs (the smoke's peer run is longer than its others). */
  peerDurationMs: number;
}

const ALL_SCENARIOS: ScenarioSpec[] = [
  spec('c10-0ms', 10, 0),
  spec('c100-0ms', 100, 0),
  spec('c100-0ms-routed', 100, 0, { routed: true, directId: 'c100-0ms' }),
  spec('c10-50ms', 10, 50),
  // One request at a time: the least noisy view of what one request adds, for comparing two builds (no target).
  spec('c1-50ms', 1, 50),
  spec('c100-50ms', 100, 50),
  // Streamed answers: latencies are the time to the first token (scripts/bench/stream-load.ts).
  spec('c10-0ms-sse', 10, 0, { stream: true }),
];
const DEFAULT_SCENARIOS = ['c10-0ms', 'c100-0ms', 'c100-0ms-routed', 'c10-50ms', 'c100-50ms', 'c10-0ms-sse'];
const SMOKE_SCENARIOS = ['c10-0ms', 'c10-0ms-sse'];
/** The smoke's run of an installed peer: long enough to show it works, asserting nothing about speed. */
const SMOKE_PEER_DURATION_MS = 2000;

function spec(id: string, connections: number, latencyMs: number, extra: Partial<ScenarioSpec> = {}): ScenarioSpec {
  return { id, connections, latencyMs, routed: false, stream: false, directId: id, ...extra };
}

function parseOptions(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index === -1 ? undefined : argv[index + 1];
  };
  const smoke = argv.includes('--smoke');
  const list = value('--scenarios') ?? (smoke ? SMOKE_SCENARIOS : DEFAULT_SCENARIOS).join(',');
  const ids = list === 'none' ? [] : list.split(',').filter(Boolean);
  const unknown = ids.filter((id) => !ALL_SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${ALL_SCENARIOS.map((s) => s.id).join(', ')}`);
  // A scenario compared with another's direct run brings that run along.
  const wanted = new Set(ids.flatMap((id) => [id, ALL_SCENARIOS.find((s) => s.id === id)!.directId]));
  const durationMs = Number(value('--duration') ?? (smoke ? 1 : 10)) * 1000;
  return {
    durationMs,
    warmupMs: Number(value('--warmup') ?? (smoke ? 0.5 : 2)) * 1000,
    scenarios: ALL_SCENARIOS.filter((s) => wanted.has(s.id)),
    smoke,
    profile: profileScenario(value('--profile-scenario') ?? (argv.includes('--profile') ? DEFAULT_PROFILE_SCENARIO : null)),
    profileVia: profilePath(value('--profile-path')),
    profileHeap: argv.includes('--profile-heap'),
    build: !argv.includes('--no-build'),
    retries: Number(value('--retries') ?? (smoke ? 0 : 2)),
    databaseUrl: value('--database-url') ?? DEFAULT_DATABASE_URL,
    redisUrl: value('--redis-url') ?? null,
    out: value('--out') ?? join(ROOT, 'bench-results', 'latest.json'),
    peer: peerOption(value('--peer'), smoke),
    peerDurationMs: smoke ? Math.max(durationMs, SMOKE_PEER_DURATION_MS) : durationMs,
  };
}

/** `--peer <name>`; without it, the smoke runs each peer that is already installed (it never installs one). */
function peerOption(name: string | undefined, smoke: boolean): PeerDefinition | null {
  if (name === 'none') return null;
  if (name === undefined) return smoke ? (Object.values(PEERS).find((p) => peerInstalled(p.name)) ?? null) : null;
  const peer = PEERS[name];
  if (!peer) throw new Error(`unknown peer ${name}; known: ${Object.keys(PEERS).join(', ')}`);
  return peer;
}

function profileScenario(id: string | null): ScenarioSpec | null {
  if (id === null) return null;
  const found = ALL_SCENARIOS.find((s) => s.id === id);
  if (!found) throw new Error(`unknown scenario ${id} for --profile-scenario`);
  return found;
}

function profilePath(path: string | undefined): 'gateway' | 'gatewayV1' {
  if (path === undefined || path === 'api') return 'gateway';
  if (path === 'v1') return 'gatewayV1';
  throw new Error(`unknown --profile-path ${path}; known: api, v1`);
}

function step(message: string): void {
  console.log(`\x1b[1m[bench]\x1b[0m ${message}`);
}

/** The processes and connections of one benchmark run. */
class Bench {
  service!: RunningService;
  upstream!: { url: string; spawned: Spawned };
  peer: RunningPeer | null = null;
  redis!: { url: string; pid: number | undefined };
  /** The bench's own redis-server, unless --redis-url named one. */
  privateRedis: EphemeralRedis | null = null;
  db!: BenchDatabase;
  readonly encryptionKey = randomBytes(32).toString('hex');
  readonly workDir = join(ROOT, 'bench-results', 'run');

  constructor(readonly options: Options) {}

  async setUp(): Promise<void> {
    rmSync(this.workDir, { recursive: true, force: true });
    mkdirSync(this.workDir, { recursive: true });
    if (this.options.build) {
      step('building (nest build)');
      await build();
    } else if (!existsSync(join(ROOT, 'dist', 'src', 'main.js'))) {
      throw new Error('dist/src/main.js is missing: run without --no-build');
    }
    step(`creating and migrating ${new URL(this.options.databaseUrl).pathname.slice(1)}`);
    await prepareDatabase(this.options.databaseUrl);
    this.db = await BenchDatabase.connect(this.options.databaseUrl);
    await this.db.resetState();

    if (this.options.redisUrl) {
      this.redis = { url: this.options.redisUrl, pid: undefined };
    } else {
      this.privateRedis = await EphemeralRedis.start({ logFile: join(this.workDir, 'redis.log') });
      this.redis = { url: this.privateRedis.url, pid: this.privateRedis.pid };
    }

    this.upstream = await startFakeUpstream();
    step(`fake upstream on ${this.upstream.url}; Redis ${this.redis.url}`);
    if (this.options.peer) await this.startPeer(this.options.peer);
    await this.startGateway();
  }

  async startPeer(peer: PeerDefinition): Promise<void> {
    if (!peerInstalled(peer.name)) step(`installing the peer ${peer.name} (npm ci in scripts/bench/peers/${peer.name})`);
    await installPeer(peer);
    this.peer = await startPeer(peer, join(this.workDir, `peer-${peer.name}.log`));
    step(`peer ${peer.name} ${this.peer.version} on ${this.peer.url}`);
  }

  /** Starts the gateway (optionally under the profiling preload) and registers the two upstream models. */
  async startGateway(nodeArgs: string[] = [], extraEnv: Record<string, string> = {}): Promise<void> {
    step(`starting the service (NODE_ENV=production, LOG_LEVEL=warn)${nodeArgs.length ? ' under the profiling probe' : ''}`);
    this.service = await startService({
      databaseUrl: this.options.databaseUrl,
      redisUrl: this.redis.url,
      workDir: this.workDir,
      nodeArgs,
      extraEnv: { ENCRYPTION_KEY: this.encryptionKey, ...extraEnv },
    });
    await registerModel(this.service, { id: MODEL_FAST, apiUrl: this.upstreamBase(0), quality: 0.9 });
    await registerModel(this.service, { id: MODEL_SLOW, apiUrl: this.upstreamBase(50), quality: 0.8 });
  }

  upstreamBase(latencyMs: number): string {
    return `${this.upstream.url}/latency/${latencyMs}/v1`;
  }

  gatewayBody(s: ScenarioSpec): Record<string, unknown> {
    return {
      ...(s.routed ? {} : { model_id: s.latencyMs === 0 ? MODEL_FAST : MODEL_SLOW }),
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 16,
      ...(s.stream ? { stream: true } : {}),
    };
  }

  /** The same request in OpenAI's format, for the service's /v1 and the peer (which passes it on as it is). */
  openAiBody(s: ScenarioSpec): Record<string, unknown> {
    return {
      model: s.routed ? 'auto' : s.latencyMs === 0 ? MODEL_FAST : MODEL_SLOW,
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 16,
      ...(s.stream ? { stream: true } : {}),
    };
  }

  /** Where a run's load goes, with what. */
  target(s: ScenarioSpec, via: Via): { url: string; body: Record<string, unknown>; headers?: Record<string, string> } {
    switch (via) {
      case 'direct':
        return { url: `${this.upstreamBase(s.latencyMs)}/chat/completions`, body: this.directBody(s) };
      case 'peer': {
        if (!this.peer) throw new Error('no peer is running');
        const { definition } = this.peer;
        return { url: `${this.peer.url}${definition.chatPath}`, body: this.openAiBody(s), headers: definition.headers(this.upstreamBase(s.latencyMs)) };
      }
      case 'gatewayV1':
        return { url: `${this.service.url}/v1/chat/completions`, body: this.openAiBody(s) };
      case 'gateway':
        return { url: `${this.service.url}/api/models/chat`, body: this.gatewayBody(s) };
    }
  }

  /** What the gateway's OpenAI SDK sends upstream for the same request. */
  directBody(s: ScenarioSpec): Record<string, unknown> {
    return {
      model: s.latencyMs === 0 ? MODEL_FAST : MODEL_SLOW,
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 16,
      logprobs: true,
      ...(s.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    };
  }

  /** One request of each kind through the whole path before any load, so a broken set-up fails loudly. */
  async checkPaths(): Promise<void> {
    const post = async (url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      return { status: response.status, text: await response.text() };
    };
    const fast = ALL_SCENARIOS[0];
    const direct = await post(`${this.upstreamBase(0)}/chat/completions`, this.directBody(fast));
    if (direct.status !== 200 || !direct.text.includes(REPLY)) throw new Error(`fake upstream answered ${direct.status}: ${direct.text}`);

    for (const s of [fast, { ...fast, routed: true }]) {
      const answer = await post(`${this.service.url}/api/models/chat`, this.gatewayBody(s));
      const body = JSON.parse(answer.text) as { content?: string; model?: { id?: string } };
      // Routing may pick either bench model (the report shows its choices); a named model must answer itself.
      const expected = s.routed ? [MODEL_FAST, MODEL_SLOW] : [MODEL_FAST];
      if (answer.status !== 200 || body.content !== REPLY || !expected.includes(body.model?.id ?? '')) {
        throw new Error(`gateway answered ${answer.status}${s.routed ? ' (routed)' : ''}: ${answer.text}`);
      }
    }
    const streamed = await post(`${this.service.url}/api/models/chat`, this.gatewayBody({ ...fast, stream: true }));
    if (streamed.status !== 200 || !streamed.text.includes('event: done')) throw new Error(`gateway stream answered ${streamed.status}: ${streamed.text}`);
    // The OpenAI-format runs: the service's /v1 and the peer, JSON and streamed.
    for (const via of ['gatewayV1', ...(this.peer ? ['peer' as const] : [])] as const) {
      for (const stream of [false, true]) {
        const { url, body, headers } = this.target({ ...fast, stream }, via);
        const answer = await post(url, body, headers);
        const replied = stream ? answer.text.includes('data: [DONE]') && answer.text.includes('"Hello"') : answer.text.includes(REPLY);
        if (answer.status !== 200 || !replied) throw new Error(`${viaLabel(via, this.peer?.definition.name)}${stream ? ' stream' : ''} answered ${answer.status}: ${answer.text}`);
      }
    }
    const { url, body } = this.target({ ...fast, routed: true }, 'gatewayV1');
    const routed = await post(url, body);
    if (routed.status !== 200 || !routed.text.includes(REPLY)) throw new Error(`gateway /v1 (model "auto") answered ${routed.status}: ${routed.text}`);
    await this.settleAndTruncate();
  }

  /**
   * The first gateway run after the service starts paid about 1.5 ms more CPU per request than the
   * same run later, whichever path went first (JIT, Postgres's first plans and table growth: its own
   * CPU per request was higher too), which made whichever of `/v1` and `/api` ran first look slower.
   * So both paths are loaded once, unmeasured, before the first scenario.
   */
  async warmUpGateway(): Promise<void> {
    const fast = ALL_SCENARIOS[0];
    for (const via of ['gatewayV1', 'gateway'] as const) {
      const { url, body, headers } = this.target(fast, via);
      await runLoad({ url, body, headers, connections: fast.connections, durationMs: Math.max(this.options.warmupMs * 2.5, 1000) });
    }
    await this.settleAndTruncate();
  }

  async settleAndTruncate(): Promise<void> {
    await waitUntil(async () => (await this.db.outboxPending()) === 0, 60_000, 50, 'outbox drain');
    await this.db.truncate();
  }

  /**
   * On a shared machine other people's work skews a run: wait for the machine to be quiet first,
   * and when something else still took CPU during the run, run it again (up to --retries times),
   * keeping the least disturbed run.
   */
  async measureQuietly(s: ScenarioSpec, via: Via): Promise<Measurement> {
    let best: Measurement | null = null;
    let runs = 0;
    while (runs <= this.options.retries) {
      if (this.options.retries > 0) await this.waitForQuiet();
      const measurement = await this.measure(s, via);
      runs++;
      if (!best || disturbance(measurement) < disturbance(best)) best = measurement;
      if (disturbance(measurement) <= NOISE_CORES) break;
      if (runs <= this.options.retries) step(`  other work took ${disturbance(measurement).toFixed(2)} cores during that run; running it again`);
    }
    return { ...best!, runs };
  }

  /** Waits (up to 10 s) until processes outside the benchmark use less than NOISE_CORES for a second. */
  async waitForQuiet(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const before = await this.cpuSample();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const usage = cpuUsage(before, await this.cpuSample(), 1);
      if (usage.otherCores + usage.stealCores < NOISE_CORES) return;
    }
  }

  async measure(s: ScenarioSpec, via: Via): Promise<Measurement> {
    const { url, body, headers } = this.target(s, via);
    // Streams are timed to their first token by a client of our own; autocannon only sees whole answers.
    const load = (durationMs: number): Promise<LoadResult> => {
      const options = { url, body, headers, connections: s.connections, durationMs };
      return s.stream ? runStreamLoad({ ...options, firstToken: FIRST_TOKEN_JSON }) : runLoad(options);
    };
    const persists = via === 'gateway' || via === 'gatewayV1';

    if (this.options.warmupMs > 0) await load(this.options.warmupMs);
    if (persists) await this.settleAndTruncate();

    const before = await this.cpuSample(via);
    const result = await load(via === 'peer' ? this.options.peerDurationMs : this.options.durationMs);
    const after = await this.cpuSample(via);
    const cpu = cpuUsage(before, after, result.ok + result.errors);

    const measurement: Measurement = { via, load: result, cpu };
    if (persists) measurement.persistence = await this.persistence(result.ok);
    return measurement;
  }

  /** Waits for the outbox relay to publish everything, then counts what the run left in the database. */
  async persistence(answered: number): Promise<Persistence> {
    const startedAt = Date.now();
    await waitUntil(async () => (await this.db.outboxPending()) === 0, 60_000, 50, 'outbox drain after the run').catch(() => undefined);
    const outboxDrainMs = Date.now() - startedAt;
    const counts = await this.db.counts();
    const completed = counts.requests.completed ?? 0;
    const onlyCompleted = Object.keys(counts.requests).every((status) => status === 'completed');
    return {
      ...counts,
      outboxDrainMs,
      complete: completed === answered && onlyCompleted && counts.outboxEvents === completed && counts.outboxPending === 0,
    };
  }

  /** The `gateway` role is the gateway under load: the peer in its runs, else the service. */
  async cpuSample(via: Via = 'gateway'): Promise<CpuSample> {
    const gatewayPid = via === 'peer' ? this.peer?.pid : this.service.pid;
    return sampleCpu({
      gateway: gatewayPid === undefined ? [] : [gatewayPid],
      upstream: this.upstream.spawned.child.pid === undefined ? [] : [this.upstream.spawned.child.pid],
      postgres: await this.db.postgresPids(),
      redis: this.redis.pid === undefined ? pidsNamed('redis-server') : [this.redis.pid],
    });
  }

  /** Restarts the gateway under the probe and profiles one scenario's run (slower than the measured one: profiling costs CPU). */
  async profile(s: ScenarioSpec): Promise<{ requests: number; rps: number; text: string; io: IoStats; profileFile: string }> {
    const probeDir = join(ROOT, 'bench-results', 'profile');
    rmSync(probeDir, { recursive: true, force: true });
    mkdirSync(probeDir, { recursive: true });
    await this.service.spawned.stop();
    await this.startGateway(['-r', compileProbe(this.workDir)], { BENCH_PROBE_DIR: probeDir, BENCH_PROBE_HEAP: this.options.profileHeap ? '1' : '0' });
    const { url, body } = this.target(s, this.options.profileVia);
    await runLoad({ url, body, connections: s.connections, durationMs: Math.max(this.options.warmupMs, 3000) });
    await this.settleAndTruncate();

    await this.waitForQuiet();
    step(`profiling ${scenarioLabel(s)} on ${url} for ${this.options.durationMs / 1000} s`);
    process.kill(this.service.pid!, 'SIGWINCH');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const result = await runLoad({ url, body, connections: s.connections, durationMs: this.options.durationMs });
    process.kill(this.service.pid!, 'SIGWINCH');
    const profileFile = join(probeDir, 'service.cpuprofile');
    await waitUntil(() => existsSync(profileFile) && existsSync(join(probeDir, 'io-stats.json')), 60_000, 50, 'profile written');

    const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
    const io = JSON.parse(readFileSync(join(probeDir, 'io-stats.json'), 'utf8')) as IoStats;
    let text = formatSummary(summarizeProfile(profile, 25), result.ok);
    const heapFile = join(probeDir, 'service.heapprofile');
    if (this.options.profileHeap && existsSync(heapFile)) {
      text += `\n\n${formatHeap(summarizeHeap(JSON.parse(readFileSync(heapFile, 'utf8')) as HeapProfile, result.ok))}`;
    }
    return { requests: result.ok, rps: result.rps, text, io, profileFile };
  }

  async tearDown(): Promise<void> {
    await this.db?.close().catch(() => undefined);
    await stopAll();
    await this.privateRedis?.stop();
  }
}

/**
 * The probe as plain JS next to the run's logs: under ts-node the service would also carry
 * ts-node's source-map-support hooks, which change what the profile shows.
 */
function compileProbe(workDir: string): string {
  const source = readFileSync(join(__dirname, 'probe.ts'), 'utf8');
  const { outputText } = transpileModule(source, { compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022 } });
  const file = join(workDir, 'probe.js');
  writeFileSync(file, outputText);
  return file;
}

function formatIo(io: IoStats, requests: number): string {
  const per = (n: number): string => (n / requests).toFixed(2);
  const queries = Object.entries(io.queries).sort((a, b) => b[1].count - a[1].count);
  const totalQueries = queries.reduce((sum, [, t]) => sum + t.count, 0);
  const redis = Object.entries(io.redisCommands).sort((a, b) => b[1] - a[1]);
  return [
    `Postgres: ${per(totalQueries)} queries (round trips) per request; pool checkouts ${per(io.poolWaits.count)}/request, ` +
      `mean wait ${(io.poolWaits.totalMs / Math.max(1, io.poolWaits.count)).toFixed(2)} ms, max ${io.poolWaits.maxMs.toFixed(1)} ms`,
    ...queries.map(([sql, t]) => `  ${per(t.count).padStart(6)}/req  ${(t.totalMs / t.count).toFixed(2).padStart(6)} ms avg  ${sql}`),
    `Redis: ${redis.map(([name, n]) => `${name} ${per(n)}/req`).join(', ') || 'none'}`,
  ].join('\n');
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`[bench] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  const bench = new Bench(options);
  const interrupted = (): void => {
    void bench.tearDown().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  let failed = false;
  try {
    await bench.setUp();
    await bench.checkPaths();
    step('warming the gateway up on both paths');
    await bench.warmUpGateway();
    step(`each run: ${options.warmupMs / 1000} s of warm-up, then ${options.durationMs / 1000} s measured`);
    const peerName = bench.peer?.definition.name;
    const results: ScenarioResult[] = [];
    for (const s of options.scenarios) {
      const result: ScenarioResult = { spec: s };
      // A scenario compared with another's runs (routed) has no direct or peer run of its own.
      const vias: Via[] = s.directId === s.id ? ['direct', ...(bench.peer ? ['peer' as const] : []), 'gatewayV1', 'gateway'] : ['gatewayV1', 'gateway'];
      for (const via of vias) {
        step(`${scenarioLabel(s)}: ${via === 'direct' ? 'direct to the upstream' : `through ${viaLabel(via, peerName)}`}`);
        result[via] = await bench.measureQuietly(s, via);
      }
      results.push(result);
    }
    addedLatency(results);
    const targets = options.smoke ? [] : evaluateTargets(results, peerName);

    const profile = options.profile ? await bench.profile(options.profile) : null;
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
    };
    const report = {
      date: new Date().toISOString(),
      machine,
      options: { durationMs: options.durationMs, warmupMs: options.warmupMs, smoke: options.smoke, peerDurationMs: bench.peer ? options.peerDurationMs : undefined },
      peer: bench.peer && { name: bench.peer.definition.name, package: bench.peer.definition.packageName, version: bench.peer.version },
      scenarios: results,
      targets,
      profile: profile && { scenario: options.profile?.id, requests: profile.requests, rps: profile.rps, io: profile.io, summary: profile.text },
    };
    mkdirSync(join(options.out, '..'), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);

    console.log('');
    console.log(`Gateway benchmark, ${report.date}: ${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}; ` +
      `${options.durationMs / 1000} s per run after ${options.warmupMs / 1000} s warm-up; load average ${machine.loadAverageAtEnd.join(' ')}`);
    console.log(
      'Latencies in ms (sse: time to first token); added = minus direct at the same concurrency and upstream latency; x direct, x peer = req/s ratios; ' +
        `vs peer = minus ${peerName ?? 'the peer'}; persisted = completed rows / 2xx answers`,
    );
    console.log(formatResults(results, peerName));
    for (const r of results.filter((x) => x.spec.stream)) {
      const firstBytes = measurements(r).map((m) => {
        const firstByte = (m.load as Partial<{ firstByte: { p50: number } }>).firstByte;
        return `${viaLabel(m.via, peerName)} ${firstByte ? firstByte.p50.toFixed(2) : '-'}`;
      });
      console.log(`${scenarioLabel(r.spec)}: time to first byte p50 (ms): ${firstBytes.join(', ')}`);
    }
    for (const r of results.filter((x) => x.spec.routed && x.gateway?.persistence)) {
      const served = Object.entries(r.gateway!.persistence!.byModel).map(([model, n]) => `${model} ${n}`);
      console.log(`${scenarioLabel(r.spec)}: routing chose ${served.join(', ')}`);
    }
    console.log('');
    console.log('CPU ms per request by process; cores kept busy: gateway, whole machine, processes outside the benchmark, stolen by the hypervisor');
    console.log(formatCpu(results, peerName));
    const noisy = noisyRuns(results);
    if (noisy.length > 0) console.log(`warning: other work on the machine during ${noisy.join(', ')}: those numbers are pessimistic`);
    if (targets.length > 0) {
      console.log('');
      console.log(peerName ? `Targets (issue #18: ratios to ${peerName} in this run)` : 'Targets (run with --peer portkey for the speed targets, ratios to a peer)');
      console.log(formatTargets(targets));
    }
    if (profile) {
      console.log('');
      console.log(`CPU profile of the gateway, ${scenarioLabel(options.profile!)} under the profiler: ${profile.requests} requests, ${profile.rps.toFixed(0)} req/s`);
      console.log(`(${profile.profileFile})`);
      console.log(profile.text);
      console.log(formatIo(profile.io, profile.requests));
    }
    console.log('');
    console.log(`JSON: ${options.out}`);

    if (options.smoke) {
      const broken = results.filter((r) => measurements(r).some((m) => m.load.errors > 0 || m.load.ok === 0 || m.persistence?.complete === false));
      if (broken.length > 0) {
        console.error(`smoke: errors or unpersisted requests in ${broken.map((r) => r.spec.id).join(', ')}`);
        failed = true;
      }
    }
  } catch (error) {
    console.error(`[bench] failed: ${error instanceof Error ? error.message : String(error)}`);
    failed = true;
  } finally {
    await bench.tearDown();
  }
  process.exit(failed ? 1 : 0);
}

void main();
