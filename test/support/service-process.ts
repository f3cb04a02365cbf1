import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort, waitUntil, waitUntilHealthy } from '../../scripts/lib/processes';
import { ADMIN_TOKEN, TestDatabase } from './test-app';

const ROOT = join(__dirname, '..', '..');

export type LogLine = Record<string, any>;

/** The real entry point (`src/main.ts`) as a process, with everything it writes kept. */
export class ServiceProcess {
  stdout = '';
  stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  static async start(db: TestDatabase, env: Record<string, string>): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: db.url,
        PORT: String(port),
        REDIS_KEY_PREFIX: db.name,
        ADMIN_TOKEN,
        MODELS_DIR: join(db.name, 'none'),
        ROUTING_EXPLORATION: 'off',
        LOCAL_MODEL_PATH: 'none',
        SHUTDOWN_GRACE_MS: '1000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}`);
    try {
      await waitUntilHealthy(service.baseUrl, child, 30_000);
    } catch (error) {
      service.kill();
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nstderr: ${service.stderr}`);
    }
    return service;
  }

  /** Null while the process runs; its exit code (or -1 when a signal ended it) afterwards. */
  get exitCode(): number | null {
    if (this.child.exitCode !== null) return this.child.exitCode;
    return this.child.signalCode === null ? null : -1;
  }

  /** Every complete line written so far, each parsed as JSON (a line that is not JSON fails the test). */
  lines(): LogLine[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        try {
          return JSON.parse(line) as LogLine;
        } catch {
          throw new Error(`not a JSON log line: ${line}`);
        }
      });
  }

  linesOf(requestId: string): LogLine[] {
    return this.lines().filter((line) => line.request_id === requestId);
  }

  async waitForLine(match: (line: LogLine) => boolean): Promise<LogLine> {
    await waitUntil(() => this.lines().some(match), 10_000);
    return this.lines().find(match)!;
  }

  /** SIGTERM, then the exit code once everything written has been read. */
  async stop(): Promise<number | null> {
    const exited = this.exited();
    this.child.kill('SIGTERM');
    return exited;
  }

  /** Sends a signal without waiting for its effect. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** The exit code, once the process has exited and everything it wrote has been read. */
  async exited(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) await once(this.child, 'close');
    return this.child.exitCode;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
