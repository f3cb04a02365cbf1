import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { RedisService } from '../redis/redis.module';
import { LOOKUP, STORE } from './cache-scripts';
import { withTimeout } from '../common/with-timeout';

/** Longest the cache may hold a request up: past it the request goes on as if the cache were not there. */
const REDIS_TIMEOUT_MS = 500;

/**
 * Answers kept in Redis by the hash of their request (`responseCacheKey`), with a TTL, within a
 * total size (CACHE_MAX_BYTES, oldest evicted first) and a size per entry (CACHE_MAX_ENTRY_BYTES).
 * Best effort: when Redis fails, a lookup is a miss and a store does nothing; neither ever fails a
 * request. Logs name the failure, never the request.
 */
@Injectable()
export class ResponseCacheService {
  private readonly logger = new Logger(ResponseCacheService.name);
  private readonly base: string;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly metrics: MetricsService,
  ) {
    this.base = `${config.redisKeyPrefix}:cache`;
  }

  /** The stored value of `id`, or null (none, or the cache is unreachable); the caller counts hits and misses, which it may still refuse. */
  async lookup<T>(id: string): Promise<T | null> {
    try {
      const value = (await this.run(LOOKUP, id, [])) as string | null;
      return value === null ? null : (JSON.parse(value) as T);
    } catch (error) {
      this.failed('lookup', error);
      return null;
    }
  }

  /** Stores `value` under `id` for `ttlSeconds`, unless its JSON is larger than an entry may be. */
  async store(id: string, value: object, ttlSeconds: number): Promise<void> {
    const json = JSON.stringify(value);
    const { maxEntryBytes, maxBytes } = this.config.cache;
    if (Buffer.byteLength(json, 'utf8') > Math.min(maxEntryBytes, maxBytes)) {
      this.metrics.responseCache('too_large');
      return;
    }
    try {
      await this.run(STORE, id, [json, ttlSeconds * 1000, maxBytes]);
      this.metrics.responseCache('store');
    } catch (error) {
      this.failed('store', error);
    }
  }

  /** The Redis keys of the cache's bookkeeping, for operators and tests: `<prefix>:cache:<name>`. */
  keyOf(name: 'index' | 'expiries' | 'sizes' | 'total'): string {
    return `${this.base}:${name}`;
  }

  private run(script: string, id: string, args: (string | number)[]): Promise<unknown> {
    const entries = `${this.base}:e:`;
    const keys = [this.keyOf('index'), this.keyOf('expiries'), this.keyOf('sizes'), this.keyOf('total'), entries + id];
    return withTimeout(
      this.redis.client.eval(script, keys.length, ...keys, entries, id, ...args),
      REDIS_TIMEOUT_MS,
      `Redis did not answer within ${REDIS_TIMEOUT_MS} ms`,
    );
  }

  private failed(operation: 'lookup' | 'store', error: unknown): void {
    this.metrics.responseCache('error');
    const reason = error instanceof Error ? error.message : 'unknown error';
    this.logger.warn(`Response cache ${operation} failed, the request goes on without it: ${reason}`);
  }
}
