import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { createRedisClient } from './redis-client';

interface ChangeNotice {
  from: string;
  ids: string[];
}

/**
 * Tells the other instances which entries of an in-memory copy changed (through Redis pub/sub),
 * so each reloads them from the database. Notices are hints: one lost while Redis is down only
 * delays an instance until the next notice or restart, never loses data.
 */
export class ChangeFeed {
  private readonly subscriber: Redis;
  private readonly channel: string;
  /** Lets an instance ignore its own notices. */
  private readonly instanceId = randomUUID();

  constructor(
    config: AppConfig,
    private readonly publisher: Redis,
    topic: string,
  ) {
    this.channel = `${config.redisKeyPrefix}:${topic}:changed`;
    this.subscriber = createRedisClient(config, `model-orchestration-${topic}`, { maxRetriesPerRequest: null });
  }

  /** Calls `onChange` with the ids other instances changed; resolves once subscribed (or Redis refused). */
  async follow(onChange: (ids: string[]) => void): Promise<boolean> {
    this.subscriber.on('message', (_channel: string, message: string) => {
      const notice = JSON.parse(message) as ChangeNotice;
      if (notice.from !== this.instanceId) onChange(notice.ids);
    });
    return this.subscriber.subscribe(this.channel).then(
      () => true,
      () => false,
    );
  }

  announce(ids: string[]): void {
    const notice: ChangeNotice = { from: this.instanceId, ids };
    this.publisher.publish(this.channel, JSON.stringify(notice)).catch(() => {
      // Other instances catch up on their next notice or restart; this one is already current.
    });
  }

  close(): void {
    this.subscriber.disconnect();
  }
}
