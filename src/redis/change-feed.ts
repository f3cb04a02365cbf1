import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { channelName } from './channel-prefix';
import { createRedisClient } from './redis-client';

interface ChangeNotice {
  from: string;
  ids: string[];
}

/** More ids than any registry holds: a notice naming more is not one of ours. */
const MAX_IDS = 10_000;

/**
 * A notice as another instance publishes it, or null for anything else on the channel (anyone
 * with access to Redis can publish there): a malformed message is ignored, never thrown.
 */
export function parseNotice(message: string): ChangeNotice | null {
  let notice: unknown;
  try {
    notice = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof notice !== 'object' || notice === null) return null;
  const { from, ids } = notice as Partial<Record<keyof ChangeNotice, unknown>>;
  if (typeof from !== 'string' || !Array.isArray(ids) || ids.length > MAX_IDS || !ids.every((id) => typeof id === 'string')) return null;
  return { from, ids };
}

/**
 * Tells the other instances which entries of an in-memory copy changed (through Redis pub/sub),
 * so each reloads them from the database. Notices are hints: one lost while Redis is down only
 * delays an instance until the next notice or restart, never loses data.
 */
export class ChangeFeed {
  private readonly logger = new Logger(ChangeFeed.name);
  private readonly subscriber: Redis;
  private readonly channel: string;
  /** Lets an instance ignore its own notices. */
  private readonly instanceId = randomUUID();

  constructor(
    config: AppConfig,
    private readonly publisher: Redis,
    topic: string,
  ) {
    this.channel = channelName(config, `${config.redisKeyPrefix}:${topic}:changed`);
    this.subscriber = createRedisClient(config, `model-orchestration-${topic}`, { maxRetriesPerRequest: null });
  }

  /** Calls `onChange` with the ids other instances changed; resolves once subscribed (or Redis refused). */
  async follow(onChange: (ids: string[]) => void): Promise<boolean> {
    this.subscriber.on('message', (_channel: string, message: string) => {
      const notice = parseNotice(message);
      if (!notice) this.logger.warn(`Ignored a malformed message on ${this.channel}`);
      else if (notice.from !== this.instanceId) onChange(notice.ids);
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
