import Redis, { RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';

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
