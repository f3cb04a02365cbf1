import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { OnDemandJobs } from '../queue/on-demand-jobs.service';
import { JobName, QueueName } from '../queue/queue-names';
import { PruneResult, RetentionService } from './retention.service';

/** How often the retention job runs: often enough that each run deletes little. */
const RETENTION_INTERVAL_MS = 10 * 60 * 1000;
/** Longest an on-demand run is waited for (a first run on a large backlog takes a while). */
const ON_DEMAND_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Runs the retention job on a repeating schedule (one scheduler for all instances) and on demand.
 * Any instance's worker may take a run; runs are idempotent.
 */
@Processor(QueueName.Retention)
export class RetentionProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectQueue(QueueName.Retention) private readonly queue: Queue,
    private readonly retention: RetentionService,
    private readonly onDemand: OnDemandJobs,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      JobName.Prune,
      { every: RETENTION_INTERVAL_MS },
      { name: JobName.Prune, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }

  /** Closes the worker without waiting for its blocking read (see `RollupProcessor`); a run cut short is run again. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close(true);
  }

  async process(job: Job): Promise<PruneResult> {
    switch (job.name) {
      case JobName.Prune:
        return this.retention.prune();
      default:
        throw new Error(`No handler for job ${job.name}`);
    }
  }

  /** Queues a run now and waits for it; returns what it removed. */
  runNow(): Promise<PruneResult> {
    return this.onDemand.run<PruneResult>(this.queue, JobName.Prune, ON_DEMAND_TIMEOUT_MS);
  }
}
