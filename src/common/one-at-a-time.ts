/**
 * One task at a time on this instance (a fold of observations, the creation of a kind): `idle()`
 * waits until none runs; then, with no `await` in between, `run()` starts the next. The turn is
 * released before waiters wake: woken earlier, a waiter would find the settled task still held and
 * await it again and again in microtasks, starving the very I/O the next holder needs.
 */
export class OneAtATime {
  private current: Promise<void> | null = null;

  async idle(): Promise<void> {
    while (this.current) await this.current;
  }

  /** Starts `task` as the running one; resolves or rejects as it does. */
  run<T>(task: Promise<T>): Promise<T> {
    this.current = task.then(release, release).finally(() => (this.current = null));
    return task;
  }
}

function release(): void {}
