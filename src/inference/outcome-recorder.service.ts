import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { GroupCommit } from '../database/group-commit';
import { Sql } from '../database/sql';
import { OutboxRelay } from '../events/outbox-relay.service';
import { OutboxRepository } from '../events/outbox.repository';
import { MetricsService } from '../metrics/metrics.service';
import { RequestTimer } from '../metrics/request-timer';
import { PerformanceService } from '../performance/performance.service';
import { InferenceRepository, RequestOutcome } from './inference.repository';
import { Outcome } from './outcome';

/** First pause before writing an outcome again while the database is unavailable; it doubles up to the cap. */
const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 1000;
/** However close a request is to its deadline, its outcome gets this long to be written (a database restart takes a second or two). */
const MIN_RECORD_WINDOW_MS = 2000;

/** The request whose outcome is written, as metrics label it. */
export interface RecordedFor {
  requestId: string;
  taskType: string;
  /** The name of the client key it came with, for the per-key metrics; null without one or when not known. */
  keyName: string | null;
  /** Null for a request that never ran: it has no latency. */
  timer: RequestTimer | null;
}

/**
 * The one place a request's outcome is written, however the request ended: its row, its events
 * and its automatic observations in one statement (with the outcomes of the requests finishing at
 * the same moment: a group commit), only while the row is still in the state the writer expects
 * (so an outcome is written once, whoever else tries), then the relay is kicked,
 * the observations folded soon and the metrics counted (after the commit: a metric never claims
 * a request the database does not have).
 */
@Injectable()
export class OutcomeRecorder {
  private readonly logger = new Logger(OutcomeRecorder.name);
  /** Requests of this instance whose outcome could not be written: finalized as interrupted once the database is back. */
  private readonly unrecorded = new Set<string>();
  /** Outcomes finishing together are written together: one statement and one commit for the lot. */
  private readonly batches = new GroupCommit<OutcomeWrite, boolean>((writes) => this.writeBatch(writes), { key: (write) => write.requestId });

  constructor(
    private readonly sql: Sql,
    private readonly requests: InferenceRepository,
    private readonly outbox: OutboxRepository,
    private readonly performance: PerformanceService,
    private readonly relay: OutboxRelay,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
  ) {}

  /**
   * Writes the outcome of a request that is still `from`; false (nothing written) when it has
   * moved on, e.g. finalized by another instance that took this one for dead. While the database
   * is unavailable the write is tried again until `deadlineMs` (monotonic); past it the error is
   * thrown (503 `database_unavailable`) and the request is remembered, to be finalized as
   * interrupted when the database is back: it is never left running, and never answered 200.
   */
  async record(request: RecordedFor, from: 'running' | 'queued', outcome: Outcome, deadlineMs = this.clock.monotonicMs()): Promise<boolean> {
    const written = await this.writeUntil(deadlineMs, () => this.write(request.requestId, from, outcome)).catch((error: unknown) => {
      if (from === 'running' && isDatabaseUnavailable(error)) this.unrecorded.add(request.requestId);
      throw error;
    });
    this.unrecorded.delete(request.requestId);
    if (!written) return false;
    this.relay.kick();
    if (outcome.observations.length > 0) this.performance.foldSoon();
    this.metrics.requestRecorded({ ...outcome, taskType: request.taskType, keyName: request.keyName, timer: request.timer });
    return true;
  }

  /**
   * Writes the outcome of a request this instance runs, trying until its deadline (and at least a
   * couple of seconds); throws the error to answer with when the request was finalized as
   * interrupted meanwhile, since its answer was then not recorded.
   */
  async recordRun(request: RecordedFor, outcome: Outcome, deadlineMs: number): Promise<void> {
    const until = Math.max(deadlineMs, this.clock.monotonicMs() + MIN_RECORD_WINDOW_MS);
    if (!(await this.record(request, 'running', outcome, until))) {
      throw new DomainError(
        ErrorCode.Interrupted,
        'Request was finalized as interrupted while this instance was out of reach of the database; its answer was not recorded',
        { request_id: request.requestId },
      );
    }
  }

  /** Requests of this instance whose outcome could not be written; each is forgotten once an outcome of it is written. */
  unrecordedIds(): string[] {
    return [...this.unrecorded];
  }

  /** Stops remembering requests that need no outcome any more (their rows have moved on). */
  forget(requestIds: string[]): void {
    for (const id of requestIds) this.unrecorded.delete(id);
  }

  private write(requestId: string, from: 'running' | 'queued', outcome: Outcome): Promise<boolean> {
    return this.batches.submit({ requestId, from, outcome, completedAt: this.clock.now() });
  }

  /** Writes the outcomes of a batch in one statement; true for each one written. */
  private async writeBatch(writes: OutcomeWrite[]): Promise<boolean[]> {
    const finalize = this.requests.finalizeStep(writes.map(({ requestId, from, outcome, completedAt }) => ({ outcome: rowOf(requestId, outcome, completedAt), from })));
    const events = writes.flatMap(({ requestId, outcome }) => outcome.events.map((event) => ({ owner: requestId, event })));
    const observations = writes.flatMap(({ requestId, outcome }) => outcome.observations.map((observation) => ({ owner: requestId, observation })));
    const written = await this.sql.writtenFor(finalize, [this.outbox.addOwnedStep(events), this.performance.ownedObservationsStep(observations)]);
    return writes.map((w) => written.has(w.requestId));
  }

  private async writeUntil<T>(deadlineMs: number, write: () => Promise<T>): Promise<T> {
    for (let pause = FIRST_RETRY_MS; ; pause = Math.min(pause * 2, MAX_RETRY_MS)) {
      try {
        return await write();
      } catch (error) {
        if (!isDatabaseUnavailable(error) || this.clock.monotonicMs() + pause > deadlineMs) throw error;
        this.logger.warn(`Database unavailable while recording an outcome; trying again in ${pause} ms`);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }
}

interface OutcomeWrite {
  requestId: string;
  from: 'running' | 'queued';
  outcome: Outcome;
  completedAt: Date;
}

function rowOf(requestId: string, outcome: Outcome, completedAt: Date): RequestOutcome {
  return {
    id: requestId,
    status: outcome.status,
    modelId: outcome.model?.id ?? null,
    provider: outcome.model?.provider ?? null,
    attempts: outcome.attempts,
    promptTokens: outcome.usage?.prompt ?? null,
    completionTokens: outcome.usage?.completion ?? null,
    totalTokens: outcome.usage ? outcome.usage.prompt + outcome.usage.completion : null,
    cost: outcome.cost,
    latencyMs: outcome.latencyMs,
    finishReason: outcome.finishReason,
    error: outcome.error,
    response: outcome.response,
    completedAt,
    cached: outcome.cached === true,
  };
}
