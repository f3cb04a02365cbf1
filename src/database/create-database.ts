import { Client } from 'pg';
import { loadConfigFromEnvironment } from '../config/app-config';

/** Creates the database named in DATABASE_URL when it does not exist (used by scripts/start.sh and scripts/test.sh). */
async function createDatabase(): Promise<void> {
  const url = new URL(loadConfigFromEnvironment().databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      console.log(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

createDatabase().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
