import { Injectable } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { QueueErrorsService } from './queue-errors.service';
import { queuePrefix } from './queue-prefix';

/**
 * Runs a scheduled maintenance job now (operators, tests): queues it and waits until some
 * instance's worker has run it. The job is kept in Redis only briefly.
 */
@Injectable()
export class OnDemandJobs {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly queueErrors: QueueErrorsService,
  ) {}

  async run<T>(queue: Queue, name: string, timeoutMs: number): Promise<T> {
    const events = new QueueEvents(queue.name, { connection: { ...this.config.redis }, prefix: queuePrefix(this.config) });
    this.queueErrors.report(events, `${queue.name} events`);
    try {
      await events.waitUntilReady();
      const job = await queue.add(name, {}, { removeOnComplete: 100, removeOnFail: 100 });
      return (await job.waitUntilFinished(events, timeoutMs)) as T;
    } finally {
      await events.close();
    }
  }
}
