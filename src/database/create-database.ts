import { loadConfigFromEnvironment } from '../config/app-config';
import { withClient, withDatabase } from './postgres-admin';

/** Creates the database named in DATABASE_URL when it does not exist (used by scripts/start.sh and scripts/test.sh). */
async function createDatabase(): Promise<void> {
  const databaseUrl = loadConfigFromEnvironment().databaseUrl;
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  await withClient(withDatabase(databaseUrl, 'postgres'), async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      console.log(`created database ${name}`);
    }
  });
}

createDatabase().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
