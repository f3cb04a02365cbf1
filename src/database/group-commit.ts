import { isDatabaseUnavailable } from '../common/errors/database-unavailable';
import { runOutsideRequestContext } from '../common/logging/request-context';

/** Most items written by one statement. */
const MAX_BATCH = 64;

export interface GroupCommitOptions<I> {
  /** Two items with one key never share a batch (a statement would write one row for both). */
  key: (item: I) => string;
  maxBatch?: number;
}

interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * A group commit: many callers' writes in one statement and one commit, each caller released when
 * its batch commits (never sooner). One batch is in flight at a time: an item submitted while none
 * is goes out at once, alone; items submitted meanwhile queue and go out together when it commits.
 * So a quiet service writes one item per statement without waiting, and batches grow with the load.
 * A batch that fails for any reason but the database being unavailable is written again one item
 * at a time, so one bad row fails only its own caller.
 * (Measured in docs/performance.md: gathering a turn of the event loop first, or a second batch in
 * flight, batch less or delay a quiet service's writes.)
 */
export class GroupCommit<I, R> {
  private readonly queue: Waiting<I, R>[] = [];
  private writing = false;

  constructor(
    private readonly writeBatch: (items: I[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions<I>,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Background work on behalf of many requests: its log lines belong to none of them.
      if (!this.writing) runOutsideRequestContext(() => this.writeNext());
    });
  }

  private writeNext(): void {
    if (this.queue.length === 0) return;
    this.writing = true;
    void this.write(this.takeBatch()).finally(() => {
      this.writing = false;
      this.writeNext();
    });
  }

  /** The oldest waiting items, one per key, up to `maxBatch`; the others keep their place. */
  private takeBatch(): Waiting<I, R>[] {
    const batch: Waiting<I, R>[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.queue.length && batch.length < (this.options.maxBatch ?? MAX_BATCH); ) {
      const key = this.options.key(this.queue[i].item);
      if (keys.has(key)) {
        i++;
        continue;
      }
      keys.add(key);
      batch.push(...this.queue.splice(i, 1));
    }
    return batch;
  }

  private async write(batch: Waiting<I, R>[]): Promise<void> {
    try {
      const results = await this.writeBatch(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1 || isDatabaseUnavailable(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      // Rare (a bad row, not a bad database): one at a time, holding this slot.
      for (const w of batch) await this.write([w]);
    }
  }
}
