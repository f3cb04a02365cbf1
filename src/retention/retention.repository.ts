import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';

/** Statuses of requests that are over; `queued` and `running` ones are never pruned. */
const FINISHED = `('completed', 'failed', 'cancelled')`;

@Injectable()
export class RetentionRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Deletes up to `limit` finished requests created before `before` (and in a day whose spend is
   * rolled up), oldest first, with their feedback (it refers to them), in one statement; returns
   * how many of each went. The rows are
   * taken `FOR UPDATE SKIP LOCKED`: a request whose feedback is being written right now (its
   * transaction locks the row) is left for the next run, and two instances never take the same
   * rows. The observations feedback produced stay: they are pruned by their own rule. The ids go
   * to the deletes as arrays, so each is an index lookup whatever the planner thinks of the sizes.
   */
  async pruneFinishedRequests(before: Date, limit: number): Promise<{ requests: number; feedback: number }> {
    const [row] = await this.sql.query<{ requests: number; feedback: number }>(
      `WITH doomed AS (
         SELECT id FROM inference_requests
          WHERE status IN ${FINISHED} AND created_at < $1
            -- Only days whose spend is rolled up (SpendLedger): a report must not lose what retention removes.
            AND created_at < (SELECT (rolled_through + 1)::timestamp AT TIME ZONE 'UTC' FROM spend_rollup_state)
          ORDER BY created_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       ), feedback_gone AS (
         DELETE FROM feedback WHERE request_id = ANY(ARRAY(SELECT id FROM doomed)) RETURNING 1
       ), requests_gone AS (
         DELETE FROM inference_requests WHERE id = ANY(ARRAY(SELECT id FROM doomed)) RETURNING 1
       )
       SELECT (SELECT count(*) FROM requests_gone)::int AS requests, (SELECT count(*) FROM feedback_gone)::int AS feedback`,
      [before.toISOString(), limit],
    );
    return row;
  }
}
