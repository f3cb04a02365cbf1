import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ChangeFeed } from './change-feed';
import { createRedisClient } from './redis-client';

/** The service's shared command connection (health checks, caches). Pub/sub uses its own connections. */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.client = createRedisClient(config, 'model-orchestration');
  }

  /** A feed of change notices on `topic` between instances; the caller closes it. */
  changeFeed(topic: string): ChangeFeed {
    return new ChangeFeed(this.config, this.client, topic);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
