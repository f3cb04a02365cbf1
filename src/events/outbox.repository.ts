import { Injectable } from '@nestjs/common';
import { toJsonb } from '../database/jsonb';
import { GUARDED_IDS, Sql, SqlStep, TransactionQuery } from '../database/sql';
import { OutgoingEvent } from './event-contracts';

export interface OutboxBacklog {
  pending: number;
  oldestAgeSeconds: number;
}

export interface PendingEvent {
  id: string;
  pattern: string;
  payload: unknown;
}

@Injectable()
export class OutboxRepository {
  constructor(private readonly sql: Sql) {}

  /** Adds events inside the caller's transaction, so they exist exactly when the business change does. */
  async add(tx: TransactionQuery, events: OutgoingEvent[]): Promise<void> {
    if (events.length === 0) return;
    await tx(
      `INSERT INTO outbox_events (pattern, payload)
       SELECT e.pattern, e.payload FROM jsonb_to_recordset($1::jsonb) AS e(pattern text, payload jsonb)`,
      [toJsonb(events.map((e) => ({ pattern: e.name, payload: e.payload })))],
    );
  }

  /**
   * The statement that adds the events of many writes of one `Sql.writtenFor`, each only if the
   * guard changed its owner's row; in the order given.
   */
  addOwnedStep(events: { owner: string; event: OutgoingEvent }[]): SqlStep {
    return {
      sql: `INSERT INTO outbox_events (pattern, payload)
            SELECT e->>'pattern', e->'payload' FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)
             WHERE e->>'owner' IN ${GUARDED_IDS}
             ORDER BY n`,
      params: [toJsonb(events.map(({ owner, event }) => ({ owner, pattern: event.name, payload: event.payload })))],
    };
  }

  /**
   * Locks the oldest unpublished events (other instances skip them), hands them to `publish`,
   * and marks them published only if it succeeds; otherwise they stay for the next pass. The mark
   * is committed without waiting for the disk: if Postgres crashes before it is flushed, the
   * events go out again, which at-least-once delivery allows.
   */
  async relayBatch(limit: number, publish: (events: PendingEvent[]) => Promise<void>): Promise<number> {
    return this.sql.transaction(
      async (query) => {
        const events = await query<PendingEvent>(
          `SELECT id, pattern, payload FROM outbox_events WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [limit],
        );
        if (events.length === 0) return 0;
        await publish(events);
        await query(`UPDATE outbox_events SET published_at = now() WHERE id = ANY($1::bigint[])`, [events.map((e) => e.id)]);
        return events.length;
      },
      { unflushed: true },
    );
  }

  async countPending(): Promise<number> {
    const [{ count }] = await this.sql.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM outbox_events WHERE published_at IS NULL`,
    );
    return count;
  }

  /**
   * Deletes up to `limit` events published before `before` (oldest first, through the partial
   * index on `published_at`, then by primary key; rows another transaction holds are skipped);
   * returns how many went. Events still to publish are never touched.
   */
  async prunePublished(before: Date, limit: number): Promise<number> {
    const [{ pruned }] = await this.sql.query<{ pruned: number }>(
      `WITH gone AS (
         DELETE FROM outbox_events WHERE id = ANY(ARRAY(
           SELECT id FROM outbox_events WHERE published_at < $1 ORDER BY published_at LIMIT $2 FOR UPDATE SKIP LOCKED))
         RETURNING 1)
       SELECT count(*)::int AS pruned FROM gone`,
      [before.toISOString(), limit],
    );
    return pruned;
  }

  /** Events waiting to be relayed, and how long the oldest has waited (0 when none): the relay's lag. */
  async backlog(): Promise<OutboxBacklog> {
    const [row] = await this.sql.query<{ pending: number; oldest_age_seconds: number | null }>(
      `SELECT count(*)::int AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_age_seconds
       FROM outbox_events WHERE published_at IS NULL`,
    );
    return { pending: row.pending, oldestAgeSeconds: Math.max(0, row.oldest_age_seconds ?? 0) };
  }
}
