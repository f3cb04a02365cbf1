import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { SCORES_LOCK } from './locks';
import { ALL_TASKS } from './scoring';

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Observations recorded this long before the previous run are looked at again, so a late commit is never missed. */
const OVERLAP = '5 minutes';

export interface RollupSums {
  modelId: string;
  taskType: string;
  periodStart: Date;
  weightSum: number;
  successSum: number;
  qualityWeight: number;
  qualitySum: number;
}

/** Buckets with observations recorded or voided since the previous run ($1; null on the first run). */
const TOUCHED = `touched AS (
  SELECT DISTINCT o.model_id, o.task_type, g.granularity, date_trunc(g.granularity, o.observed_at, 'UTC') AS period_start
    FROM performance_observations o
    CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g(granularity)
   WHERE $1::timestamptz IS NULL
      OR o.recorded_at >= $1::timestamptz - interval '${OVERLAP}'
      OR o.voided_at >= $1::timestamptz - interval '${OVERLAP}')`;

/** Observations that count: not voided, and recorded after any reset of their model and task type. */
export const COUNTING = `o.voided_at IS NULL AND NOT EXISTS (
  SELECT 1 FROM performance_resets r
   WHERE r.model_id = o.model_id AND r.task_type IN (o.task_type, '${ALL_TASKS}') AND r.reset_at >= o.recorded_at)`;

@Injectable()
export class RollupRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Recomputes every bucket touched since the previous run (new or voided observations) from its
   * observations that count plus what pruned ones contributed (`pruned_*`, see `pruneObservations`),
   * and replaces it; a bucket left with nothing goes. Recomputing whole buckets makes a run
   * idempotent: running it twice, or over overlapping windows, gives the same buckets. Returns the
   * buckets written.
   */
  async rollUp(): Promise<number> {
    return this.sql.transaction(async (tx) => {
      // One run at a time across instances: the row lock serializes them (and prunes, which take it too).
      const [previous]: { started_at: Date | null }[] = await tx(
        `INSERT INTO performance_rollup_runs (id, started_at) VALUES (1, now())
         ON CONFLICT (id) DO UPDATE SET started_at = now()
         RETURNING (SELECT started_at FROM performance_rollup_runs WHERE id = 1) AS started_at`,
      );
      const [{ count }]: { count: number }[] = await tx(
        `WITH ${TOUCHED}, observed AS (
           SELECT t.model_id, t.task_type, t.granularity, t.period_start,
                  count(o.id)::int AS sample_count,
                  coalesce(sum(o.weight), 0) AS weight_sum,
                  coalesce(sum(CASE WHEN o.success THEN o.weight ELSE 0 END), 0) AS success_sum,
                  coalesce(sum(CASE WHEN o.quality IS NULL THEN 0 ELSE o.weight END), 0) AS quality_weight,
                  coalesce(sum(coalesce(o.quality, 0) * o.weight), 0) AS quality_sum
             FROM touched t
             LEFT JOIN performance_observations o
               ON o.model_id = t.model_id AND o.task_type = t.task_type
              AND date_trunc(t.granularity, o.observed_at, 'UTC') = t.period_start AND ${COUNTING}
            GROUP BY t.model_id, t.task_type, t.granularity, t.period_start
         ), computed AS (
           SELECT b.model_id, b.task_type, b.granularity, b.period_start,
                  b.sample_count + coalesce(p.pruned_count, 0) AS sample_count,
                  b.weight_sum + coalesce(p.pruned_weight_sum, 0) AS weight_sum,
                  b.success_sum + coalesce(p.pruned_success_sum, 0) AS success_sum,
                  b.quality_weight + coalesce(p.pruned_quality_weight, 0) AS quality_weight,
                  b.quality_sum + coalesce(p.pruned_quality_sum, 0) AS quality_sum
             FROM observed b
             LEFT JOIN performance_rollups p USING (model_id, task_type, granularity, period_start)
         ), emptied AS (
           -- A touched bucket whose observations were all voided, and none pruned, has nothing left to show.
           DELETE FROM performance_rollups p USING computed c
            WHERE c.sample_count = 0 AND p.model_id = c.model_id AND p.task_type = c.task_type
              AND p.granularity = c.granularity AND p.period_start = c.period_start
         ), written AS (
           INSERT INTO performance_rollups (model_id, task_type, granularity, period_start, sample_count, weight_sum,
                                            success_sum, quality_weight, quality_sum)
           SELECT * FROM computed WHERE sample_count > 0
           ON CONFLICT (model_id, task_type, granularity, period_start) DO UPDATE SET
             sample_count = EXCLUDED.sample_count, weight_sum = EXCLUDED.weight_sum, success_sum = EXCLUDED.success_sum,
             quality_weight = EXCLUDED.quality_weight, quality_sum = EXCLUDED.quality_sum
           RETURNING 1
         )
         SELECT count(*)::int AS count FROM written`,
        [previous.started_at],
      );
      return count;
    });
  }

  /**
   * Deletes up to `limit` observations recorded and observed before `before` that nothing needs
   * any more, in one short transaction; returns how many went. An observation goes only once it is
   * folded into the scores and rolled up (recorded, and voided if it was, more than the roll-up's
   * overlap before the last run started) and no feedback refers to it (feedback goes with its
   * request). What a counting one contributed moves into its day, week and month buckets'
   * `pruned_*` sums, so a later recompute of a bucket keeps it. Scores never read observations
   * back (a reset rebuilds the overall score from the task types' rows), so they are unaffected.
   */
  async pruneObservations(before: Date, limit: number): Promise<number> {
    return this.sql.transaction(async (tx) => {
      // Prunes take turns with roll-up runs (which rewrite buckets), then with resets (which delete them), always in this
      // order: waiting for a long roll-up never holds up the folds that share the second lock.
      const [run]: { started_at: Date }[] = await tx(`SELECT started_at FROM performance_rollup_runs WHERE id = 1 FOR UPDATE`);
      if (!run) return 0;
      await tx(`SELECT pg_advisory_xact_lock(${SCORES_LOCK})`);
      const [{ pruned }]: { pruned: number }[] = await tx(
        `WITH doomed AS (
           SELECT o.id FROM performance_observations o
            WHERE o.recorded_at < least($1::timestamptz, $2::timestamptz - interval '${OVERLAP}') AND o.observed_at < $1::timestamptz
              AND o.folded AND (o.voided_at IS NULL OR o.voided_at < $2::timestamptz - interval '${OVERLAP}')
              AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.observation_id = o.id)
            ORDER BY o.recorded_at
            LIMIT $3
            FOR UPDATE SKIP LOCKED
         ), gone AS (
           DELETE FROM performance_observations o USING doomed d WHERE o.id = d.id
           RETURNING o.model_id, o.task_type, o.success, o.quality, o.weight, o.observed_at, ${COUNTING} AS counting
         ), tallied AS (
           SELECT g.model_id, g.task_type, b.granularity, date_trunc(b.granularity, g.observed_at, 'UTC') AS period_start,
                  count(*)::int AS n, sum(g.weight) AS w, sum(CASE WHEN g.success THEN g.weight ELSE 0 END) AS s,
                  sum(CASE WHEN g.quality IS NULL THEN 0 ELSE g.weight END) AS qw, sum(coalesce(g.quality, 0) * g.weight) AS q
             FROM gone g CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS b(granularity)
            WHERE g.counting
            GROUP BY 1, 2, 3, 4
         ), moved AS (
           -- Only into buckets that exist: a bucket that does not was removed by a reset, after which these no longer count.
           UPDATE performance_rollups p
              SET pruned_count = p.pruned_count + t.n, pruned_weight_sum = p.pruned_weight_sum + t.w,
                  pruned_success_sum = p.pruned_success_sum + t.s, pruned_quality_weight = p.pruned_quality_weight + t.qw,
                  pruned_quality_sum = p.pruned_quality_sum + t.q
             FROM tallied t
            WHERE p.model_id = t.model_id AND p.task_type = t.task_type AND p.granularity = t.granularity AND p.period_start = t.period_start
         )
         SELECT count(*)::int AS pruned FROM gone`,
        [before.toISOString(), run.started_at, limit],
      );
      return pruned;
    });
  }

  /** Buckets of one granularity overlapping `from`..now for the given models, oldest first; reads roll-ups only. */
  async sums(modelIds: string[], granularity: Granularity, from: Date, taskType: string | undefined): Promise<RollupSums[]> {
    const rows: RollupRecord[] = await this.sql.query(
      `SELECT model_id, task_type, period_start, weight_sum, success_sum, quality_weight, quality_sum
         FROM performance_rollups
        WHERE model_id = ANY($1) AND granularity = $2 AND period_start >= date_trunc($2, $3::timestamptz, 'UTC')
          AND ($4::text IS NULL OR task_type = $4)
        ORDER BY period_start`,
      [modelIds, granularity, from.toISOString(), taskType ?? null],
    );
    return rows.map((r) => ({
      modelId: r.model_id,
      taskType: r.task_type,
      periodStart: new Date(r.period_start),
      weightSum: r.weight_sum,
      successSum: r.success_sum,
      qualityWeight: r.quality_weight,
      qualitySum: r.quality_sum,
    }));
  }
}

interface RollupRecord {
  model_id: string;
  task_type: string;
  period_start: Date;
  weight_sum: number;
  success_sum: number;
  quality_weight: number;
  quality_sum: number;
}
