import { Logger } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';

/** One warning per pool in this period, however many connections a restart drops at once. */
const REPORT_EVERY_MS = 5000;

/**
 * node-postgres emits `'error'` on a client whose connection dies (a Postgres restart terminates
 * every connection with 57P01). The pool listens while a client is idle, but nobody listens while
 * it is checked out, and an unhandled `'error'` event ends the process. So every client of the pool
 * gets a listener for its whole life: the query it was running fails on its own (and answers 503
 * `database_unavailable`), and the pool drops the broken client instead of reusing it.
 */
export function surviveConnectionErrors(pool: Pool, name: string): void {
  const logger = new Logger('Postgres');
  let lastReport = 0;
  const report = (error: Error) => {
    const now = Date.now();
    if (now - lastReport < REPORT_EVERY_MS) return;
    lastReport = now;
    logger.warn(`${name}: a connection was lost (${error.message}); new ones are opened as needed`);
  };
  // The pool re-emits idle clients' errors; the client listener below already reported them.
  pool.on('error', () => undefined);
  // On every checkout, not only on connect: a pool handed over already in use (TypeORM's, which
  // opened connections before this ran) has clients that never emit 'connect' again.
  const guarded = new WeakSet<PoolClient>();
  pool.on('acquire', (client: PoolClient) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', report);
  });
}
