import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Caller } from '../access/client-key';
import { ClientKeysService } from '../access/client-keys.service';
import { LimitsService } from '../access/limits/limits.service';
import { Queue } from 'bullmq';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { toDomainError } from '../common/filters/to-domain-error';
import { InstanceLease } from '../instances/instance-lease.service';
import { JobName, QueueName } from '../queue/queue-names';
import { QueuedView } from './dto/request-status.view';
import { InFlightRegistry } from './in-flight.registry';
import { InferenceRepository } from './inference.repository';
import { InferenceService } from './inference.service';
import { Job, QueuedJob, QueuedRequest } from './inference.types';
import { reservationFor, usageOf } from './admission';
import { CompletionView } from './dto/completion.view';
import { factsOf, factsOfRow, rowOf } from './job';
import { cancelledWhileQueuedOutcome, rejectedOutcome } from './outcome';
import { OutcomeRecorder } from './outcome-recorder.service';
import { withTimeout } from '../common/with-timeout';

/** Tries of an asynchronous request whose candidates all fail with retryable errors. */
const ASYNC_ATTEMPTS = 3;
/** First backoff between those tries; it doubles each time. */
const ASYNC_RETRY_DELAY_MS = 1000;
/** Longest a caller waits for the queue to take a request (BullMQ keeps retrying while Redis is away). */
const ENQUEUE_TIMEOUT_MS = 5000;

/**
 * Asynchronous requests (`Prefer: respond-async`): accepted with 202 and a `queued` row, run by
 * any instance's worker through the same lifecycle as synchronous ones, or cancelled while they
 * wait.
 */
@Injectable()
export class QueuedRequestsService {
  private readonly logger = new Logger(QueuedRequestsService.name);

  constructor(
    private readonly inference: InferenceService,
    private readonly requests: InferenceRepository,
    private readonly recorder: OutcomeRecorder,
    private readonly inFlight: InFlightRegistry,
    private readonly lease: InstanceLease,
    @InjectQueue(QueueName.Inference) private readonly queue: Queue<QueuedJob>,
    private readonly keys: ClientKeysService,
    private readonly limits: LimitsService,
    private readonly clock: Clock,
  ) {}

  /**
   * Accepts a request to run later (202). Routing is checked now, so a request no model can serve
   * is refused at once rather than failing in the queue. A request the queue does not take is
   * refused (503) and its row removed; a row left behind even so has no job, and is reclaimed.
   * The key's limits apply when the request runs.
   */
  async enqueue(request: QueuedRequest, requestId: string, caller: Caller): Promise<QueuedView> {
    const job = this.inference.jobFor(request);
    await this.inference.accept(job, caller);
    const createdAt = this.clock.now();
    await this.requests.insert(rowOf(job, requestId, createdAt, caller), 'queued', null);
    const options = { jobId: requestId, attempts: ASYNC_ATTEMPTS, backoff: { type: 'exponential', delay: ASYNC_RETRY_DELAY_MS }, removeOnComplete: 1000, removeOnFail: 1000 };
    try {
      await withTimeout(this.queue.add(JobName.Infer, { requestId, request }, options), ENQUEUE_TIMEOUT_MS);
    } catch {
      // Should the job still reach the queue later, its worker finds no row and does nothing.
      await this.requests.deleteQueued(requestId).catch(() => undefined);
      throw new DomainError(ErrorCode.ServiceUnavailable, 'The request could not be queued; try again', { request_id: requestId });
    }
    return { completion_id: requestId, status: 'queued', created_at: createdAt.toISOString() };
  }

  /**
   * Runs a queued request (from the worker). Does nothing when it was cancelled while queued or is
   * run elsewhere; its outcome, failures included, is recorded like any other request's (a key
   * revoked since, or a limit it would pass, too: as its failure). A fault before any provider call
   * (the database, say) is recorded too, and the request goes back to `queued` for the job's next
   * try while it has one. When
   * every candidate failed with retryable errors and `mayRetry`, the request goes back to `queued`
   * and the job fails, so BullMQ tries it again after a backoff.
   */
  async runQueued(requestId: string, request: QueuedRequest, mayRetry: boolean): Promise<void> {
    const job = this.inference.jobFor(request);
    // Registered before the claim, so a cancel that sees the request running always reaches it.
    const flight = this.inFlight.start(requestId, new AbortController().signal);
    try {
      const row = await this.requests.findById(requestId);
      if (!row || !(await this.requests.claimQueued(requestId, this.lease.id))) return;
      // Its kind was learned when it was accepted; learning it again would count its prompt twice.
      job.inferredTask = row.inferredTask;
      const started = this.clock.monotonicMs();
      const { caller, candidates, admission } = await this.admit(job, requestId, row.clientKey).catch(async (error: unknown) => {
        // Refused, or failed on the way (the database, a fault): recorded either way, so the claimed row never stays running.
        const outcome = rejectedOutcome(factsOf(job, requestId), toDomainError(error, this.logger), Math.round(this.clock.monotonicMs() - started));
        await this.recorder.record({ requestId, taskType: job.taskType, keyName: null, timer: job.timer }, 'running', outcome);
        // Not the request's fault: back to the queue for the job's next try.
        if (!(error instanceof DomainError) && mayRetry) await this.requests.requeue(requestId);
        throw error;
      });
      let view: CompletionView | null = null;
      try {
        view = await this.inference.execute(job, { requestId, caller, signal: flight.signal }, candidates, row.createdAt, started);
      } finally {
        await admission.settle(usageOf(view));
      }
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // Every candidate was unavailable for now: worth another try later, unless out of tries.
      if (mayRetry && error.code === ErrorCode.NoModelAvailable && Array.isArray(error.details.attempts)) {
        await this.requests.requeue(requestId);
        throw new Error(`Request ${requestId}: every candidate failed, retrying later`);
      }
      // Otherwise the failure is recorded: an outcome, not a job failure.
    } finally {
      flight.finish();
    }
  }

  /** The request's caller, its candidates now, and its hold on the key's limits. */
  private async admit(job: Job, requestId: string, clientKey: string | null) {
    const caller = await this.keys.callerFor(clientKey);
    const candidates = await this.inference.plan(job, caller);
    const admission = await this.limits.admit(caller, reservationFor(job, candidates, requestId));
    return { caller, candidates, admission };
  }

  /** Cancels a request still waiting in the queue: recorded as cancelled, never sent to a provider. False when it has left the queue. */
  async cancelQueued(requestId: string): Promise<boolean> {
    const row = await this.requests.findById(requestId);
    if (row?.status !== 'queued') return false;
    const cancelled = await this.recorder.record({ requestId, taskType: row.taskType, keyName: null, timer: null }, 'queued', cancelledWhileQueuedOutcome(factsOfRow(row)));
    if (cancelled) await this.queue.remove(requestId).catch(() => undefined);
    return cancelled;
  }
}
