import { ChildProcess, execFile, spawn, SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** Child processes the benchmark started; each is stopped by its own handle, never by name. */
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

/** Starts a process that prints one JSON line when ready (the fake upstream) and returns that line. */
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

/** Stops whatever is still running (on failure or interrupt). */
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

export function runQuiet(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, (error, stdout) => (error ? reject(new Error(error.message)) : resolve(stdout))),
  );
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Polls a condition with a deadline. */
export async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const holds = async (): Promise<boolean> => {
    try {
      return await condition();
    } catch {
      return false;
    }
  };
  while (!(await holds())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A redis-server of the benchmark's own, so its events and commands never reach other services on the machine's Redis. */
export async function startPrivateRedis(logFile: string): Promise<{ url: string; spawned: Spawned }> {
  const port = await freePort();
  const spawned = spawnLogged('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { logFile });
  await waitUntil('redis-server start', async () => (await runQuiet('redis-cli', ['-p', String(port), 'ping'])).trim() === 'PONG', 10_000);
  return { url: `redis://127.0.0.1:${port}`, spawned };
}
