import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
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
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Recomputes, from the observations, every bucket touched since the previous run (new or voided
   * observations), and replaces it. Recomputing whole buckets makes a run idempotent: running it
   * twice, or over overlapping windows, gives the same buckets. Returns the buckets written.
   */
  async rollUp(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // One run at a time across instances: the row lock serializes them.
      const [previous]: { started_at: Date | null }[] = await manager.query(
        `INSERT INTO performance_rollup_runs (id, started_at) VALUES (1, now())
         ON CONFLICT (id) DO UPDATE SET started_at = now()
         RETURNING (SELECT started_at FROM performance_rollup_runs WHERE id = 1) AS started_at`,
      );
      const since = previous.started_at;
      const params = [since];
      const [{ count }]: { count: number }[] = await manager.query(
        `WITH ${TOUCHED}, computed AS (
           SELECT t.model_id, t.task_type, t.granularity, t.period_start,
                  count(*)::int AS sample_count,
                  sum(o.weight) AS weight_sum,
                  sum(CASE WHEN o.success THEN o.weight ELSE 0 END) AS success_sum,
                  sum(CASE WHEN o.quality IS NULL THEN 0 ELSE o.weight END) AS quality_weight,
                  sum(coalesce(o.quality, 0) * o.weight) AS quality_sum
             FROM touched t
             JOIN performance_observations o
               ON o.model_id = t.model_id AND o.task_type = t.task_type
              AND date_trunc(t.granularity, o.observed_at, 'UTC') = t.period_start
            WHERE ${COUNTING}
            GROUP BY t.model_id, t.task_type, t.granularity, t.period_start
         ), written AS (
           INSERT INTO performance_rollups (model_id, task_type, granularity, period_start, sample_count, weight_sum,
                                            success_sum, quality_weight, quality_sum)
           SELECT * FROM computed
           ON CONFLICT (model_id, task_type, granularity, period_start) DO UPDATE SET
             sample_count = EXCLUDED.sample_count, weight_sum = EXCLUDED.weight_sum, success_sum = EXCLUDED.success_sum,
             quality_weight = EXCLUDED.quality_weight, quality_sum = EXCLUDED.quality_sum
           RETURNING 1
         )
         SELECT count(*)::int AS count FROM written`,
        params,
      );
      // A touched bucket whose observations were all voided has nothing left to show.
      await manager.query(
        `WITH ${TOUCHED}
         DELETE FROM performance_rollups p USING touched t
          WHERE p.model_id = t.model_id AND p.task_type = t.task_type AND p.granularity = t.granularity
            AND p.period_start = t.period_start
            AND NOT EXISTS (SELECT 1 FROM performance_observations o
                             WHERE o.model_id = t.model_id AND o.task_type = t.task_type
                               AND date_trunc(t.granularity, o.observed_at, 'UTC') = t.period_start AND ${COUNTING})`,
        params,
      );
      return count;
    });
  }

  /** Buckets of one granularity overlapping `from`..now for the given models, oldest first; reads roll-ups only. */
  async sums(modelIds: string[], granularity: Granularity, from: Date, taskType: string | undefined): Promise<RollupSums[]> {
    const rows: RollupRecord[] = await this.dataSource.query(
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
