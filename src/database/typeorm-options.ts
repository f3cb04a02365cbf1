import { join } from 'node:path';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { AppConfig } from '../config/app-config';

/**
 * The one database definition, shared by the app and the migration CLI. Schema changes go through
 * migrations only. Entities are registered by the feature modules that own them (the app loads
 * them; the CLI needs none). `statementTimeoutMs` bounds every statement (the app's; migrations
 * run unbounded).
 */
export function typeOrmOptions(config: AppConfig, { statementTimeoutMs }: { statementTimeoutMs?: number } = {}): PostgresConnectionOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl,
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{ts,js}')],
    migrationsTableName: 'migrations',
    synchronize: false,
    // keepAlive: a connection to a server that vanished without a word is noticed and dropped.
    extra: {
      max: config.databasePoolSize,
      connectionTimeoutMillis: config.databaseConnectTimeoutMs,
      keepAlive: true,
      ...(statementTimeoutMs !== undefined && { statement_timeout: statementTimeoutMs }),
    },
  };
}
