import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { OnDemandJobs } from '../queue/on-demand-jobs.service';
import { JobName, QueueName } from '../queue/queue-names';
import { RollupRepository } from './rollup.repository';

/** Longest an on-demand roll-up is waited for. */
const ON_DEMAND_TIMEOUT_MS = 60_000;

/**
 * Rolls observations up into daily, weekly and monthly buckets: on a repeating schedule
 * (ROLLUP_INTERVAL_SECONDS; one scheduler for all instances) and on demand. Any instance's
 * worker may run a job; runs are idempotent, so a retry or an overlap changes nothing.
 */
@Processor(QueueName.Performance)
export class RollupProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RollupProcessor.name);

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectQueue(QueueName.Performance) private readonly queue: Queue,
    private readonly rollups: RollupRepository,
    private readonly onDemand: OnDemandJobs,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(JobName.RollUp, { every: this.config.performance.rollupIntervalMs }, { name: JobName.RollUp });
  }

  /**
   * Closes the worker without waiting for its blocking read: after a Redis reconnect BullMQ's
   * graceful close can wait forever. A roll-up cut short is simply run again (runs are idempotent).
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close(true);
  }

  async process(job: Job): Promise<{ buckets: number }> {
    switch (job.name) {
      case JobName.RollUp: {
        const buckets = await this.rollups.rollUp();
        this.logger.debug(`Rolled up ${buckets} bucket(s)`);
        return { buckets };
      }
      default:
        throw new Error(`No handler for job ${job.name}`);
    }
  }

  /** Queues a roll-up now and waits for it; returns how many buckets it wrote. */
  async runNow(): Promise<number> {
    const result = await this.onDemand.run<{ buckets: number }>(this.queue, JobName.RollUp, ON_DEMAND_TIMEOUT_MS);
    return result.buckets;
  }
}
