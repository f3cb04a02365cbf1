import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { JobName, QueueName } from '../queue/queue.module';
import { InferenceService, QueuedJob } from './inference.service';

/**
 * Runs asynchronous requests. One attempt per job: the retry of a retryable failure is the
 * fallback to the next candidate inside the request, as for synchronous requests, so a job never
 * runs (and bills) a request twice.
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
        return this.inference.runQueued(job.data.requestId, job.data.request);
      default:
        throw new Error(`No handler for job ${job.name}`);
    }
  }
}
