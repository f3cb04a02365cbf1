import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { runOutsideRequestContext } from '../common/logging/request-context';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { InstanceLease } from '../instances/instance-lease.service';
import { InstancesRepository } from '../instances/instances.repository';
import { QueueName } from '../queue/queue-names';
import { OrphanedRequest, InferenceRepository } from './inference.repository';
import { QueuedJob } from './inference.types';
import { factsOfRow } from './job';
import { interruptedOutcome } from './outcome';
import { OutcomeRecorder } from './outcome-recorder.service';

/** Requests finalized per pass at most; the next pass takes the rest. */
const BATCH = 100;

/**
 * Finalizes, as failed with code `interrupted` and their `model.request.failed` event, the
 * requests nobody will finish: those running on an instance whose lease ran out (it died), queued
 * ones whose job the queue no longer has, and this instance's own whose outcome could not be
 * written. Every live instance looks at boot and every third of INSTANCE_LEASE_SECONDS; the
 * outcome write is guarded, so a request is finalized once however many instances race for it.
 */
@Injectable()
export class OrphanReclaimer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrphanReclaimer.name);
  private readonly leaseMs: number;
  /** Longer than any request may run: a running row with no instance (written before leases existed) is left behind after this. */
  private readonly ownerlessAfterMs: number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | null = null;
  private failing = false;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly lease: InstanceLease,
    private readonly instances: InstancesRepository,
    private readonly requests: InferenceRepository,
    private readonly recorder: OutcomeRecorder,
    @InjectQueue(QueueName.Inference) private readonly queue: Queue<QueuedJob>,
  ) {
    this.leaseMs = config.requests.instanceLeaseMs;
    this.ownerlessAfterMs = config.requests.timeoutMs + this.leaseMs;
  }

  onApplicationBootstrap(): void {
    void this.sweep({ atBoot: true });
    this.timer = setInterval(() => void this.sweep(), this.leaseMs / 3);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One pass; resolves with how many requests it finalized (a pass under way is joined, not repeated). */
  sweep({ atBoot = false } = {}): Promise<number> {
    this.sweeping ??= runOutsideRequestContext(() => this.pass(atBoot)).finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async pass(atBoot: boolean): Promise<number> {
    try {
      let finalized = await this.finalizeOwn();
      // After an outage every lease looks expired until its instance renews it: judge others only once steady.
      if (atBoot || this.lease.steady) {
        finalized += await this.finalizeOfDeadInstances();
        finalized += await this.finalizeWithoutJobs();
        await this.instances.forgetLongDead();
      }
      if (this.failing) this.logger.log('Reclaiming requests left behind again');
      this.failing = false;
      if (finalized > 0) this.logger.warn(`Finalized ${finalized} request(s) left behind as interrupted`);
      return finalized;
    } catch (error) {
      if (!this.failing) this.logger.warn(`Could not reclaim requests left behind: ${error instanceof Error ? error.message : String(error)}`);
      this.failing = true;
      return 0;
    }
  }

  /** This instance's requests whose outcome could not be written when they finished. */
  private async finalizeOwn(): Promise<number> {
    const ids = this.recorder.unrecordedIds();
    if (ids.length === 0) return 0;
    const rows = await this.requests.findRunning(ids);
    this.recorder.forget(ids.filter((id) => !rows.some((row) => row.id === id)));
    let finalized = 0;
    for (const row of rows) finalized += await this.interrupt(row, 'running', 'its outcome could not be recorded while the database was unavailable');
    return finalized;
  }

  private async finalizeOfDeadInstances(): Promise<number> {
    const orphans = await this.requests.findOrphanedRunning(this.leaseMs, this.ownerlessAfterMs, BATCH);
    let finalized = 0;
    for (const orphan of orphans) finalized += await this.interrupt(orphan, 'running', 'the instance running it stopped');
    return finalized;
  }

  /** Queued requests whose job is gone (lost with Redis, or never added) or finished without running them. */
  private async finalizeWithoutJobs(): Promise<number> {
    const queued = await this.requests.findLongQueued(this.leaseMs, BATCH);
    let finalized = 0;
    for (const request of queued) {
      const job = await this.queue.getJob(request.id);
      const state = job ? await job.getState() : 'missing';
      if (state === 'missing' || state === 'completed' || state === 'failed' || state === 'unknown') {
        finalized += await this.interrupt(request, 'queued', 'its queued job was lost');
      }
    }
    return finalized;
  }

  private async interrupt(request: OrphanedRequest, from: 'running' | 'queued', reason: string): Promise<number> {
    const outcome = interruptedOutcome(factsOfRow(request), reason, request.instanceId);
    return (await this.recorder.record({ requestId: request.id, taskType: request.taskType, keyName: null, timer: null }, from, outcome)) ? 1 : 0;
  }
}
