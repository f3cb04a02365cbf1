import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { withClient, withDatabase } from '../../src/database/postgres-admin';
import { typeOrmOptions } from '../../src/database/typeorm-options';

/**
 * A database of its own, `<prefix>_<random>`, on a Postgres server: for one test file
 * (`test/support/test-app.ts`) or one evaluation run (`scripts/eval-routing`), migrated with the
 * project's migrations and dropped at the end.
 */
export class ThrowawayDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly adminUrl: string,
  ) {}

  static async create(serverUrl: string, prefix: string): Promise<ThrowawayDatabase> {
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    const adminUrl = withDatabase(serverUrl, 'postgres');
    await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    return new ThrowawayDatabase(name, withDatabase(serverUrl, name), adminUrl);
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
