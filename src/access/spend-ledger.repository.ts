import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';

/** A day is rolled up this long after it ends: a request's row is written within moments of its `created_at`. */
const ROLLUP_GRACE = '1 hour';
/** Days one run rolls up at most (a first run over a long history continues in the next). */
const MAX_DAYS_PER_RUN = 31;
const DAY_MS = 24 * 60 * 60 * 1000;

/** One day's spend of one key on one model and task type. */
export interface SpendSums {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}

/**
 * The spend of every request since `$1`, one line per request row or roll-up row, with columns
 * client_key ('' without a key), model_id, task_type, requests, prompt_tokens, completion_tokens,
 * cost. `$2` is the first whole UTC day from `$1` on (`firstWholeDay`). Days up to `rolled_through`
 * come from the roll-ups, the rest (and the part of `$1`'s day before the next midnight) from the
 * request rows, so each request counts once; embeddings by whole days. `keyFilter`: a condition
 * on `client_key` for both sources (e.g. `= $3`), or empty.
 */
export function spendSince(keyFilter = ''): string {
  const key = (alias: string) => (keyFilter === '' ? '' : ` AND ${alias}.client_key ${keyFilter}`);
  return `(
    SELECT coalesce(r.client_key, '') AS client_key, coalesce(r.model_id, '') AS model_id, r.task_type, 1 AS requests,
           coalesce(r.prompt_tokens, 0)::bigint AS prompt_tokens, coalesce(r.completion_tokens, 0)::bigint AS completion_tokens, r.cost
      FROM inference_requests r CROSS JOIN spend_rollup_state s
     WHERE r.cost IS NOT NULL AND r.created_at >= $1${key('r')}
       AND (r.created_at < $2::date::timestamp AT TIME ZONE 'UTC' OR r.created_at >= (s.rolled_through + 1)::timestamp AT TIME ZONE 'UTC')
    UNION ALL
    SELECT d.client_key, d.model_id, d.task_type, d.requests, d.prompt_tokens, d.completion_tokens, d.cost
      FROM spend_daily d CROSS JOIN spend_rollup_state s
     WHERE ((d.source = 'requests' AND d.day >= $2::date AND d.day <= s.rolled_through)
        OR (d.source = 'embeddings' AND d.day >= ($1::timestamptz AT TIME ZONE 'UTC')::date))${key('d')}
  )`;
}

/** `from` itself when it is a UTC midnight, else the next one, as `YYYY-MM-DD`. */
export function firstWholeDay(from: Date): string {
  const dayStart = Math.floor(from.getTime() / DAY_MS) * DAY_MS;
  return new Date(dayStart === from.getTime() ? dayStart : dayStart + DAY_MS).toISOString().slice(0, 10);
}

/**
 * Where spend is kept for longer than request rows (docs/keys.md, "Spend"): daily roll-ups of
 * closed days, and embeddings, which have no request row. The one place that says what a key has
 * spent: the spend reports and the budgets' counters read it.
 */
@Injectable()
export class SpendLedger {
  constructor(private readonly sql: Sql) {}

  /** What a key spent since `since` (USD). */
  async spentBy(clientKey: string, since: Date): Promise<number> {
    const [{ spent }] = await this.sql.query<{ spent: number }>(
      `SELECT coalesce(sum(cost), 0)::float8 AS spent FROM ${spendSince('= $3')} AS spend`,
      [since.toISOString(), firstWholeDay(since), clientKey],
    );
    return spent;
  }

  /** Adds a served embeddings request to today's (UTC) line of its key and model. */
  async addEmbeddings(clientKey: string | null, modelId: string, sums: SpendSums): Promise<void> {
    await this.sql.query(
      `INSERT INTO spend_daily (day, source, client_key, model_id, task_type, requests, prompt_tokens, completion_tokens, cost)
       VALUES ((now() AT TIME ZONE 'UTC')::date, 'embeddings', $1, $2, 'embedding', $3, $4, $5, $6)
       ON CONFLICT (day, source, client_key, model_id, task_type) DO UPDATE SET
         requests = spend_daily.requests + EXCLUDED.requests, prompt_tokens = spend_daily.prompt_tokens + EXCLUDED.prompt_tokens,
         completion_tokens = spend_daily.completion_tokens + EXCLUDED.completion_tokens, cost = spend_daily.cost + EXCLUDED.cost`,
      [clientKey ?? '', modelId, sums.requests, sums.promptTokens, sums.completionTokens, sums.cost],
    );
  }

  /**
   * Rolls up the request rows of each closed UTC day after `rolled_through`, one transaction per
   * day, stopping at the first day that is not over (plus the grace) or that still has queued or
   * running requests (their cost is not known yet). A day is rolled once: the state row, locked,
   * moves with its lines. Another instance rolling up at the same time is left to it. Returns the
   * days rolled up.
   */
  async rollUpClosedDays(): Promise<number> {
    let days = 0;
    while (days < MAX_DAYS_PER_RUN && (await this.rollUpNextDay())) days++;
    return days;
  }

  private rollUpNextDay(): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const [state]: { day: string; ready: boolean }[] = await tx(
        `SELECT to_char(rolled_through + 1, 'YYYY-MM-DD') AS day,
                (rolled_through + 2)::timestamp AT TIME ZONE 'UTC' + interval '${ROLLUP_GRACE}' <= now() AS ready
           FROM spend_rollup_state WHERE id = 1 FOR UPDATE SKIP LOCKED`,
      );
      if (!state?.ready) return false;
      const range = `created_at >= $1::date::timestamp AT TIME ZONE 'UTC' AND created_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'`;
      const [open]: unknown[] = await tx(`SELECT 1 FROM inference_requests WHERE status IN ('queued', 'running') AND ${range} LIMIT 1`, [state.day]);
      if (open) return false;
      await tx(
        `INSERT INTO spend_daily (day, source, client_key, model_id, task_type, requests, prompt_tokens, completion_tokens, cost)
         SELECT $1::date, 'requests', coalesce(client_key, ''), coalesce(model_id, ''), task_type, count(*),
                coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), sum(cost)
           FROM inference_requests WHERE cost IS NOT NULL AND ${range}
          GROUP BY 3, 4, 5`,
        [state.day],
      );
      await tx(`UPDATE spend_rollup_state SET rolled_through = $1::date WHERE id = 1`, [state.day]);
      return true;
    });
  }
}
