import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { runOutsideRequestContext } from '../common/logging/request-context';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { channelName } from '../redis/channel-prefix';
import { createRedisClient } from '../redis/redis-client';
import { envelope } from './event-contracts';
import { OutboxRepository, PendingEvent } from './outbox.repository';

const BATCH_SIZE = 200;
const POLL_INTERVAL_MS = 500;
/** Kicks within this long share one pass, so concurrent requests' events go out in one batch. */
const KICK_DELAY_MS = 10;

/**
 * Relays outbox rows to Redis (at least once). Writers call `kick()` after their transaction
 * commits, so events normally leave within milliseconds; a poll catches what other instances or
 * a Redis outage left behind. While Redis is down, publishing fails fast and rows wait. Published
 * rows are removed later by the retention job (`RetentionService`).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly redis: Redis;
  private poller: NodeJS.Timeout | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | null = null;
  private kickedWhileDraining = false;
  private failing = false;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly outbox: OutboxRepository,
  ) {
    // Without an offline queue, a publish while Redis is down fails at once and the rows wait.
    this.redis = createRedisClient(config, 'model-orchestration-outbox', { enableOfflineQueue: false });
  }

  onApplicationBootstrap(): void {
    this.poller = setInterval(() => this.kick(), POLL_INTERVAL_MS);
    this.kick();
  }

  /** Drains the outbox in a few milliseconds (a pass, or another right after the one under way). */
  kick(): void {
    this.kickTimer ??= setTimeout(() => {
      this.kickTimer = undefined;
      this.drainNow();
    }, KICK_DELAY_MS);
  }

  private drainNow(): void {
    if (this.draining) {
      this.kickedWhileDraining = true;
      return;
    }
    // A pass relays every instance's pending events, not the kicking request's: its log lines carry no request id.
    this.draining = runOutsideRequestContext(() => this.drain()).finally(() => (this.draining = null));
  }

  /** Publishes everything pending; resolves when a pass finds nothing or Redis refuses. */
  async flush(): Promise<void> {
    await this.draining;
    this.drainNow();
    await this.draining;
  }

  /** Runs after in-flight requests have recorded their outcome, so their events still go out. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.poller);
    clearTimeout(this.kickTimer);
    await this.flush();
    this.redis.disconnect();
  }

  private async drain(): Promise<void> {
    try {
      let relayed: number;
      do {
        this.kickedWhileDraining = false;
        relayed = await this.outbox.relayBatch(BATCH_SIZE, (events) => this.publish(events));
      } while (relayed === BATCH_SIZE || this.kickedWhileDraining);
      if (this.failing) this.logger.log('Redis is reachable again; outbox relayed');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn(`Outbox relay paused: ${error instanceof Error ? error.message : String(error)}`);
      this.failing = true;
    }
  }

  private async publish(events: PendingEvent[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const event of events) pipeline.publish(channelName(this.config, event.pattern), envelope(event.pattern, event.payload));
    const results = (await pipeline.exec()) ?? [];
    const failure = results.find(([error]) => error);
    if (failure?.[0]) throw failure[0];
  }
}
