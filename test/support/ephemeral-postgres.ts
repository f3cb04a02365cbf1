import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/lib/processes';

const run = promisify(execFile);

/** The machine's PostgreSQL binaries (Debian keeps them outside PATH). */
async function postgresBin(): Promise<string> {
  const { stdout } = await run('pg_config', ['--bindir']);
  return stdout.trim();
}

/**
 * A private PostgreSQL cluster on its own port and data folder, so a test can restart or stop
 * "the" database without touching the machine's. initdb refuses to run as root, so the server
 * runs as the `postgres` user when the test runs as root.
 */
export class EphemeralPostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<EphemeralPostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'mos-pg-'));
    const cluster = new EphemeralPostgres(await postgresBin(), dir, await freePort());
    if (process.getuid?.() === 0) await run('chown', ['postgres:postgres', dir]);
    await cluster.pg('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync']);
    await cluster.ctl('start');
    return cluster;
  }

  /** A URL for `database` on this cluster. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** `pg_ctl restart -m fast`: every connection is terminated (57P01), then the server comes back. */
  restart(): Promise<void> {
    return this.ctl('restart', ['-m', 'fast']);
  }

  stop(): Promise<void> {
    return this.ctl('stop', ['-m', 'fast']);
  }

  startAgain(): Promise<void> {
    return this.ctl('start');
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private ctl(action: string, extra: string[] = []): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    return this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-w', '-o', options, ...extra, action]);
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const command = join(this.bin, tool);
    if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', command, ...args]);
    else await run(command, args);
  }
}
