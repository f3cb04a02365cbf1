import { Clock } from '../common/clock';

/**
 * Times one request: from its start (before routing) to its recorded outcome, and, within that,
 * the time spent awaiting provider calls (every attempt, streams until their last chunk). The
 * difference is what the gateway itself costs.
 */
export class RequestTimer {
  private readonly startedMs: number;
  private providerMs = 0;

  constructor(private readonly clock: Clock) {
    this.startedMs = clock.monotonicMs();
  }

  /** Runs one provider call, counting the time until it settles (answered, failed or aborted). */
  async providerCall<T>(call: () => Promise<T>): Promise<T> {
    const started = this.clock.monotonicMs();
    try {
      return await call();
    } finally {
      this.providerMs += this.clock.monotonicMs() - started;
    }
  }

  /** Seconds so far: in total, and of those, not spent waiting on a provider. */
  elapsed(): { totalSeconds: number; overheadSeconds: number } {
    const totalMs = this.clock.monotonicMs() - this.startedMs;
    return { totalSeconds: totalMs / 1000, overheadSeconds: Math.max(0, totalMs - this.providerMs) / 1000 };
  }
}
