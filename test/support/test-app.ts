import { INestApplication } from '@nestjs/common';
import { ClientRedis } from '@nestjs/microservices';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ThrowawayDatabase } from '../../scripts/lib/throwaway-database';
import { createApp } from '../../src/app';
import { AppConfig, loadConfig, loadConfigFromEnvironment } from '../../src/config/app-config';
import { ChannelPrefixedRedisClient } from './prefixed-client';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A database of its own for one test file, migrated with the project's migrations. */
export type TestDatabase = ThrowawayDatabase;

export const TestDatabase = {
  /** On the configured server, or on `serverUrl` (e.g. a private cluster a test restarts). */
  create: (serverUrl = loadConfigFromEnvironment().databaseUrl): Promise<TestDatabase> => ThrowawayDatabase.create(serverUrl, 'mos_test'),
};

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  baseUrl: string;
  db: TestDatabase;
  /** A DataSource for assertions on persisted rows. */
  sql: DataSource;
  /** A real Nest Redis client, as an operator's service would use to send commands. */
  commands: ClientRedis;
  close(): Promise<void>;
}

/**
 * Boots the real hybrid app (HTTP + Redis transport) on a fresh, migrated database; or, given
 * `sharing`, a second instance on the same database and Redis prefix (closing it leaves both).
 */
export async function startTestApp(env: Record<string, string> = {}, sharing?: TestApp): Promise<TestApp> {
  const db = sharing?.db ?? (await TestDatabase.create());
  if (!sharing) await db.migrate();
  // Only the connection settings come from the environment: a developer's provider keys or
  // ./models folder must not change what a test sees.
  const config = loadConfig({
    REDIS_URL: process.env.REDIS_URL,
    MODELS_DIR: join(db.name, 'no-models-here'),
    LOG_LEVEL: 'error',
    ADMIN_TOKEN,
    // Tests assert which model routing picks: rank by expected utility, no Thompson sampling (a test can turn it on).
    ROUTING_EXPLORATION: 'off',
    // Without the shipped demo model unless a test asks for it: tests register the models they route between.
    LOCAL_MODEL_PATH: 'none',
    // The database's own unless a test shares one on purpose.
    REDIS_KEY_PREFIX: db.name,
    ...env,
    DATABASE_URL: db.url,
    PORT: '0',
  });
  const app = await createApp(config);
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const sql = await db.dataSource().initialize();
  const commands = new ChannelPrefixedRedisClient({ ...config.redis, retryAttempts: 100, retryDelay: 100 }, config.redisChannelPrefix);
  await commands.connect();

  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${port}`,
    db,
    sql,
    commands,
    async close() {
      await commands.close();
      await app.close();
      await sql.destroy();
      if (!sharing) await db.drop();
    },
  };
}
