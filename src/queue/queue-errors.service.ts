import { getQueueToken, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import { QueueName } from './queue-names';

/** One warning per queue or worker in this period, however often BullMQ retries its connection. */
const REPORT_EVERY_MS = 10_000;

/** Anything BullMQ reports its Redis connection errors through. */
interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * BullMQ queues and workers emit `'error'` when Redis is out of reach; with no listener BullMQ
 * prints the whole error to stderr, once per retry. Every queue and worker of the app gets a
 * listener here that logs one structured warning at a time instead (jobs wait in Redis and
 * resume when it is back; /health says Redis is down meanwhile).
 */
@Injectable()
export class QueueErrorsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Queues');

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly discovery: DiscoveryService,
  ) {}

  onApplicationBootstrap(): void {
    for (const name of Object.values(QueueName)) this.report(this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }), `queue ${name}`);
    for (const { instance } of this.discovery.getProviders()) {
      if (!(instance instanceof WorkerHost)) continue;
      const { worker } = instance as WorkerHost<Worker>;
      this.report(worker, `worker ${worker.name}`);
    }
  }

  /** Logs `emitter`'s errors, at most one warning per period. */
  report(emitter: ErrorEmitter, what: string): void {
    let lastReport = 0;
    emitter.on('error', (error) => {
      if (Date.now() - lastReport < REPORT_EVERY_MS) return;
      lastReport = Date.now();
      this.logger.warn(`${what}: ${error.message}`);
    });
  }
}
