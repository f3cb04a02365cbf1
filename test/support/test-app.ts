import { INestApplication } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { randomBytes } from 'node:crypto';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import { AppConfig, loadConfig, loadConfigFromEnvironment } from '../../src/config/app-config';
import { typeOrmOptions } from '../../src/database/typeorm-options';
import { withClient, withDatabase } from '../../src/database/postgres-admin';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A database of its own for one test file, migrated with the project's migrations. */
export class TestDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly adminUrl: string,
  ) {}

  /** On the configured server, or on `serverUrl` (e.g. a private cluster a test restarts). */
  static async create(serverUrl = loadConfigFromEnvironment().databaseUrl): Promise<TestDatabase> {
    const base = new URL(serverUrl);
    const name = `mos_test_${randomBytes(6).toString('hex')}`;
    const adminUrl = withDatabase(base.toString(), 'postgres');
    await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    return new TestDatabase(name, withDatabase(base.toString(), name), adminUrl);
  }

  /** A DataSource on this database, with the app's entities and migrations. */
  dataSource(): DataSource {
    return new DataSource(typeOrmOptions(loadConfig({ DATABASE_URL: this.url })));
  }

  async migrate(): Promise<void> {
    const dataSource = await this.dataSource().initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
  }

  async drop(): Promise<void> {
    await withClient(this.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  baseUrl: string;
  db: TestDatabase;
  /** A DataSource for assertions on persisted rows. */
  sql: DataSource;
  /** A real Nest Redis client, as an operator's service would use to send commands. */
  commands: ClientProxy;
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
    ...env,
    DATABASE_URL: db.url,
    PORT: '0',
    REDIS_KEY_PREFIX: db.name,
  });
  const app = await createApp(config);
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const sql = await db.dataSource().initialize();
  const commands = ClientProxyFactory.create({
    transport: Transport.REDIS,
    options: { ...config.redis, retryAttempts: 100, retryDelay: 100 },
  });
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
