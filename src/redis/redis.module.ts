import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** Builds an ioredis client for the configured server; callers own its lifetime. */
export function createRedisClient(config: AppConfig, name: string): Redis {
  return new Redis({ ...config.redis, connectionName: name, maxRetriesPerRequest: 1, lazyConnect: false });
}

/** The service's shared command connection (health checks, caches). Pub/sub uses its own connections. */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = createRedisClient(config, 'model-orchestration');
    // Errors surface through commands and /health; without a listener ioredis would print each retry.
    this.client.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
