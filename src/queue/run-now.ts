import { Queue, QueueEvents } from 'bullmq';
import { AppConfig } from '../config/app-config';

/**
 * Queues a job on `queue` and waits until some instance's worker has run it; returns its result.
 * For on-demand runs of scheduled maintenance jobs (operators, tests); the job is kept in Redis
 * only briefly.
 */
export async function runJobNow<T>(config: AppConfig, queue: Queue, name: string, timeoutMs: number): Promise<T> {
  const events = new QueueEvents(queue.name, { connection: { ...config.redis }, prefix: config.redisKeyPrefix });
  try {
    await events.waitUntilReady();
    const job = await queue.add(name, {}, { removeOnComplete: 100, removeOnFail: 100 });
    return (await job.waitUntilFinished(events, timeoutMs)) as T;
  } finally {
    await events.close();
  }
}
