import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { JobName, QueueName } from '../queue/queue.module';
import { InferenceService, QueuedJob } from './inference.service';

/**
 * Runs asynchronous requests. A request first falls back across its candidates as a synchronous
 * one does; only when all of them failed with retryable errors is the job retried (bounded, with
 * backoff). A provider that answered is never asked again.
 */
@Processor(QueueName.Inference)
export class InferenceProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly inference: InferenceService,
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
        return this.inference.runQueued(job.data.requestId, job.data.request, job.attemptsMade + 1 < (job.opts.attempts ?? 1));
      default:
        throw new Error(`No handler for job ${job.name}`);
    }
  }
}
