import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/** A tracked request: the signal to run it with, and how to stop tracking it once its outcome is recorded. */
export interface Flight {
  signal: AbortSignal;
  finish(): void;
}

/** After the grace period, how long cancelled requests get to record their outcome. */
const RECORD_TIMEOUT_MS = 5000;
const POLL_MS = 20;

/**
 * The requests this instance is running, each with the controller that aborts its provider call.
 * Only the instance running a request can stop it; cancellation reaches it through Redis.
 *
 * On shutdown the instance stops taking requests (503), lets running ones finish for
 * SHUTDOWN_GRACE_MS, then cancels the rest, which are recorded as cancelled like any other.
 */
@Injectable()
export class InFlightRegistry implements BeforeApplicationShutdown {
  private readonly logger = new Logger(InFlightRegistry.name);
  private readonly running = new Map<string, AbortController>();
  private draining = false;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Tracks a request; its signal fires when the caller's does or when it is cancelled. An id this
   * instance is already running is a 409 that leaves the running request tracked: only the holder
   * of a flight ends it.
   */
  start(requestId: string, callerSignal: AbortSignal): Flight {
    if (this.draining) throw new DomainError(ErrorCode.ServiceUnavailable, 'This instance is shutting down; retry on another one');
    if (this.running.has(requestId)) {
      throw new DomainError(ErrorCode.Conflict, `Request id "${requestId}" is already in use`, { request_id: requestId });
    }
    const controller = new AbortController();
    this.running.set(requestId, controller);
    // Forwarded by a listener: AbortSignal.any costs several times the CPU (docs/performance.md).
    const forward = () => controller.abort(callerSignal.reason);
    if (callerSignal.aborted) forward();
    else callerSignal.addEventListener('abort', forward, { once: true });
    return {
      signal: controller.signal,
      finish: () => {
        callerSignal.removeEventListener('abort', forward);
        if (this.running.get(requestId) === controller) this.running.delete(requestId);
      },
    };
  }

  /** Aborts the request if it runs here; true when it did. */
  abort(requestId: string): boolean {
    const controller = this.running.get(requestId);
    if (!controller) return false;
    controller.abort();
    return true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    if (await this.settled(this.config.shutdownGraceMs)) return;
    this.logger.warn(`Cancelling ${this.running.size} request(s) still running after ${this.config.shutdownGraceMs} ms`);
    for (const controller of this.running.values()) controller.abort();
    if (!(await this.settled(RECORD_TIMEOUT_MS))) this.logger.error(`${this.running.size} request(s) did not record their outcome`);
  }

  private async settled(withinMs: number): Promise<boolean> {
    const deadline = this.clock.monotonicMs() + withinMs;
    while (this.running.size > 0 && this.clock.monotonicMs() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    return this.running.size === 0;
  }
}
