import { ChildProcess, execFile, spawn, SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/**
 * Process and port helpers shared by the tests (`test/`) and the scripts (`scripts/bench`):
 * imports point from `test/` to `scripts/`, never back, and `src/` imports neither.
 */

/** A port nothing listens on right now (the OS's choice), for a server about to be started, or a refused connection. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * Polls a condition with a deadline instead of sleeping a fixed time. An error thrown by the
 * condition fails the wait at once: a condition that may fail while it does not hold yet (a
 * server still starting) says so itself, e.g. with `.catch(() => false)`.
 */
export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  everyMs = 50,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until `<baseUrl>/health` answers 200; fails at once if `child`, the server, exits first. */
export async function waitUntilHealthy(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  await waitUntil(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the process exited (${child.exitCode ?? child.signalCode}) before ${baseUrl}/health answered 200`);
      }
      return (await fetch(`${baseUrl}/health`).catch(() => null))?.status === 200;
    },
    timeoutMs,
    100,
    `${baseUrl}/health answering 200`,
  );
}

/**
 * A throwaway redis-server on its own port, saving nothing: a test can stop and restart "the" Redis
 * safely, and the benchmark's events and commands never reach other clients of the machine's Redis.
 */
export class EphemeralRedis {
  private process: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly logFile: string | undefined,
  ) {}

  /** `logFile`: where the server's output is appended; by default it is dropped. */
  static async start(options: { logFile?: string } = {}): Promise<EphemeralRedis> {
    const redis = new EphemeralRedis(await freePort(), options.logFile);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The running server's process id, if it runs. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Starts the server (again) on the same port, and waits until it answers. */
  async restart(): Promise<void> {
    const output = this.logFile === undefined ? 'ignore' : openSync(this.logFile, 'a');
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', output, output],
    });
    if (typeof output === 'number') closeSync(output); // the server has its own copy
    await waitUntil(() => ping(this.port), 10_000, 50, `redis-server on port ${this.port} answering PING`);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    this.process = null;
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-p', String(port), 'ping'], (error, stdout) => resolve(!error && stdout.trim() === 'PONG'));
  });
}

/** Child processes started by `spawnLogged` and `spawnReporting`; each is stopped by its own handle, never by name. */
const started = new Set<ChildProcess>();

export interface Spawned {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts a long-running process with its output appended to `logFile`. */
export function spawnLogged(command: string, args: string[], options: SpawnOptions & { logFile: string }): Spawned {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  return track(child);
}

/** Starts a process that prints one JSON line when ready (the bench's fake upstream) and returns that line. */
export async function spawnReporting<T>(command: string, args: string[], options: SpawnOptions): Promise<{ spawned: Spawned; ready: T }> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const spawned = track(child);
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line'),
    spawned.exited.then((code) => {
      throw new Error(`${command} ${args.join(' ')} exited with ${code} before it was ready`);
    }),
  ]);
  return { spawned, ready: JSON.parse(String(first[0])) as T };
}

function track(child: ChildProcess): Spawned {
  started.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      started.delete(child);
      resolve(code);
    });
  });
  return {
    child,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Stops whatever `spawnLogged` and `spawnReporting` started that still runs (on failure or interrupt). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...started].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(timer);
    }),
  );
}

/** Runs a command to completion with inherited output; rejects on a non-zero exit. */
export async function run(command: string, args: string[], options: SpawnOptions = {}): Promise<void> {
  const child = spawn(command, args, { stdio: 'inherit', ...options });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed with exit code ${code}`);
}
