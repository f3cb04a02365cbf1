import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/**
 * Builds an ioredis client for the configured server; callers own its lifetime. Connection
 * errors surface through commands and /health, so the client's own error events are not logged
 * (ioredis would print one per retry).
 */
export function createRedisClient(config: AppConfig, name: string, options: RedisOptions = {}): Redis {
  const client = new Redis({ ...config.redis, connectionName: name, maxRetriesPerRequest: 1, ...options });
  client.on('error', () => undefined);
  return client;
}

/** The service's shared command connection (health checks, caches). Pub/sub uses its own connections. */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = createRedisClient(config, 'model-orchestration');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
