import { Client } from 'pg';

/** The same server and credentials as `databaseUrl`, pointed at another database. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** One short-lived connection, for statements a pool cannot run (CREATE/DROP DATABASE). */
export async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  // A connection that dies fails the statement under way; the event itself must not end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
