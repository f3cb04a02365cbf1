import { stat } from 'node:fs/promises';
import { withTimeout } from '../../common/with-timeout';

export interface ModelFilesOptions {
  /** How often the tracked files are looked at again (a file removed or copied in meanwhile). */
  recheckMs?: number;
  /** How long `track` waits for its checks; one still running after that goes on in the background. */
  waitMs?: number;
  statFile?: (path: string) => Promise<{ isFile(): boolean }>;
}

/**
 * Whether local model files exist, answered without touching the disk: routing asks on every
 * request, and a synchronous look at a file on a mount that hangs (NFS) would stall the whole
 * process. The registry's files are checked in the background, at most one check per file at a
 * time, whenever the registry changes and every `recheckMs`; a file no check has finished for
 * yet is unknown.
 */
export class ModelFiles {
  private tracked = new Set<string>();
  private readonly found = new Map<string, boolean>();
  private readonly checking = new Map<string, Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private readonly waitMs: number;
  private readonly statFile: NonNullable<ModelFilesOptions['statFile']>;

  constructor({ recheckMs = 10_000, waitMs = 2_000, statFile = stat }: ModelFilesOptions = {}) {
    this.waitMs = waitMs;
    this.statFile = statFile;
    this.timer = setInterval(() => void this.checkAll(), recheckMs).unref();
  }

  /** True or false as the last check found; undefined before a check of the file has finished (one is then started). */
  exists(path: string): boolean | undefined {
    const found = this.found.get(path);
    if (found === undefined && !this.checking.has(path)) {
      // A model not in the registry yet (registered on another instance a moment ago): known on the next request.
      this.tracked.add(path);
      void this.check(path);
    }
    return found;
  }

  /** Follows exactly these files from now on, forgetting others; resolves once they are checked, or after `waitMs`. */
  async track(paths: string[]): Promise<void> {
    this.tracked = new Set(paths);
    for (const path of this.found.keys()) if (!this.tracked.has(path)) this.found.delete(path);
    // A check still running after waitMs goes on in the background.
    await withTimeout(this.checkAll(), this.waitMs).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async checkAll(): Promise<void> {
    await Promise.all([...this.tracked].map((path) => this.check(path)));
  }

  private check(path: string): Promise<void> {
    let check = this.checking.get(path);
    if (check) return check;
    check = this.statFile(path)
      .then((stats) => stats.isFile())
      .catch(() => false)
      .then((exists) => {
        if (this.tracked.has(path)) this.found.set(path, exists);
        this.checking.delete(path);
      });
    this.checking.set(path, check);
    return check;
  }
}
