import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { runWithRequestId } from '../common/logging/request-context';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { JobName, QueueName } from '../queue/queue-names';
import { QueuedJob } from './inference.types';
import { QueuedRequestsService } from './queued-requests.service';

/**
 * Runs asynchronous requests. A request first falls back across its candidates as a synchronous
 * one does; only when all of them failed with retryable errors is the job retried (bounded, with
 * backoff). A provider that answered is never asked again.
 */
@Processor(QueueName.Inference)
export class InferenceProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InferenceProcessor.name);

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly queued: QueuedRequestsService,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.asyncConcurrency;
  }

  /** Stops taking jobs; requests already running are drained by the in-flight registry. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close(true);
  }

  async process(job: Job<QueuedJob>): Promise<void> {
    switch (job.name) {
      case JobName.Infer:
        // Logged as part of the request it runs, as the synchronous request would be.
        return runWithRequestId(job.data.requestId, () => this.infer(job));
      default:
        throw new Error(`No handler for job ${job.name}`);
    }
  }

  private async infer(job: Job<QueuedJob>): Promise<void> {
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    try {
      await this.queued.runQueued(job.data.requestId, job.data.request, attempt < attempts);
    } catch (error) {
      // The stack stays with the job in BullMQ; an expected retry is not worth one in the logs.
      this.logger.warn(`Queued request failed (try ${attempt} of ${attempts}): ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }
}
