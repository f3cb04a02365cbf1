import { ConsoleLogger } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import Redis from 'ioredis';
import { AppModule } from '../../src/app.module';
import { Clock } from '../../src/common/clock';
import { AppConfig, loadConfig, loadConfigFromEnvironment } from '../../src/config/app-config';
import { RandomSource } from '../../src/routing/random-source';
import { ThrowawayDatabase } from '../lib/throwaway-database';

/** Simulated time: starts at a fixed instant and moves only when the evaluation says so. */
export class SimulatedClock extends Clock {
  private at = Date.parse('2026-01-05T09:00:00Z');

  override now(): Date {
    return new Date(this.at);
  }

  advance(ms: number): void {
    this.at += ms;
  }
}

/** Routing's randomness from a seed, so a run is reproducible. */
export class SeededRandomSource extends RandomSource {
  constructor(private readonly random: () => number) {
    super();
  }

  override next(): number {
    return this.random();
  }
}

export interface EvalApp {
  module: TestingModule;
  config: AppConfig;
  close(): Promise<void>;
}

/**
 * The real application (every module, real Postgres and Redis) on a database of its own,
 * `mos_eval_<random>`, created and migrated here and dropped on close. Only the connection
 * settings come from the environment, so a developer's settings never change the numbers;
 * routing and scoring run with their defaults unless `settings` says otherwise. The clock and routing's random source are
 * replaced by the simulation's.
 */
export async function startEvalApp(clock: Clock, random: RandomSource, settings: Record<string, string> = {}): Promise<EvalApp> {
  const db = await ThrowawayDatabase.create(loadConfigFromEnvironment().databaseUrl, 'mos_eval');
  try {
    const config = loadConfig({
      ...settings,
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL,
      REDIS_KEY_PREFIX: db.name,
      LOG_LEVEL: 'error',
      MODELS_DIR: `${db.name}-no-models-here`,
      LOCAL_MODEL_PATH: 'none',
      ROLLUP_INTERVAL_SECONDS: '86400',
    });
    await db.migrate();
    const module = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
      .setLogger(new ConsoleLogger({ logLevels: ['error'] }))
      .overrideProvider(Clock)
      .useValue(clock)
      .overrideProvider(RandomSource)
      .useValue(random)
      .compile();
    await module.init();
    return {
      module,
      config,
      async close() {
        await module.close();
        await deleteRedisKeys(config, `${db.name}*`);
        await db.drop();
      },
    };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/** The run's queue keys (BullMQ, under the run's prefix). */
async function deleteRedisKeys(config: AppConfig, pattern: string): Promise<void> {
  const redis = new Redis({ ...config.redis, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
