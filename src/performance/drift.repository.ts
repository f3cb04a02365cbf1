import { Injectable } from '@nestjs/common';
import { TransactionQuery } from '../database/sql';
import { DRIFT_RULES, DriftStatistics, KindEvidence, observeRating } from './drift';
import { ALL_TASKS, decayFactor } from './scoring';
import { inferredTaskId } from './task-types';

/** What the rule reads of an observation (`NewObservation` has it). */
interface Rating {
  modelId: string;
  taskType: string;
  quality: number | null;
  weight: number;
  observedAt: Date;
}

interface StatisticRecord {
  model_id: string;
  task_type: string;
  statistic: number;
}

interface EvidenceRecord {
  model_id: string;
  task_type: string;
  quality_weight: number;
  quality_sum: number;
  decayed_to: Date;
}

/**
 * The drift statistics (`performance_drift`, rule in `drift.ts`), updated in the transaction that
 * adds ratings of kinds learned from prompts to the scores, before they are added: a kind found
 * drifted has its old quality evidence shrunk first, so the new ratings weigh against little.
 */
@Injectable()
export class DriftRepository {
  /** Shrinks the quality evidence of the kinds these observations show drifted, and stores the statistics. */
  async discountDrifted(tx: TransactionQuery, observations: Rating[], halfLifeMs: number): Promise<void> {
    // Task types callers name keep their scores exactly as they are: only kinds learned from prompts are watched.
    const rated = observations.filter((o) => o.weight > 0 && o.quality !== null && inferredTaskId(o.taskType) !== null);
    if (rated.length === 0) return;
    const models = [...new Set(rated.map((o) => o.modelId))].sort();
    // The model rows are locked in one order, so writers of the same models take turns and never deadlock.
    await tx(`INSERT INTO performance_drift (model_id, task_type, statistic) SELECT unnest($1::text[]), '${ALL_TASKS}', 0 ON CONFLICT DO NOTHING`, [models]);
    const statistics = new Map(
      (
        await tx<StatisticRecord>(
          `SELECT model_id, task_type, statistic FROM performance_drift WHERE model_id = ANY($1::text[]) ORDER BY model_id, task_type FOR UPDATE`,
          [models],
        )
      ).map((r) => [key(r.model_id, r.task_type), r.statistic]),
    );
    const evidence = new Map(
      (
        await tx<EvidenceRecord>(
          `SELECT model_id, task_type, quality_weight, quality_sum, decayed_to FROM performance_scores
            WHERE model_id = ANY($1::text[]) AND task_type = ANY($2::text[])`,
          [models, [...new Set(rated.map((o) => o.taskType))]],
        )
      ).map((r) => [key(r.model_id, r.task_type), r]),
    );

    const drifted = new Map<string, { modelId: string; taskType: string; factor: number }>();
    const touched = new Set<string>();
    for (const o of rated) {
      const pair = key(o.modelId, o.taskType);
      const row = evidence.get(pair);
      const before: DriftStatistics = { model: statistics.get(key(o.modelId, ALL_TASKS)) ?? 0, kind: statistics.get(pair) ?? 0 };
      const expected = row && !drifted.has(pair) ? kindEvidence(row, o.observedAt, halfLifeMs) : null;
      const step = observeRating(before, expected, { quality: o.quality!, weight: o.weight }, DRIFT_RULES);
      statistics.set(key(o.modelId, ALL_TASKS), step.statistics.model);
      statistics.set(pair, step.statistics.kind);
      touched.add(key(o.modelId, ALL_TASKS)).add(pair);
      if (step.drifted && expected) drifted.set(pair, { modelId: o.modelId, taskType: o.taskType, factor: DRIFT_RULES.keptEvidence / expected.weight });
    }

    if (drifted.size > 0) {
      const shrunk = [...drifted.values()];
      await tx(
        `UPDATE performance_scores s SET quality_weight = s.quality_weight * d.factor, quality_sum = s.quality_sum * d.factor,
                quality_sq_sum = s.quality_sq_sum * d.factor
           FROM unnest($1::text[], $2::text[], $3::float8[]) AS d(model_id, task_type, factor)
          WHERE s.model_id = d.model_id AND s.task_type = d.task_type`,
        [shrunk.map((d) => d.modelId), shrunk.map((d) => d.taskType), shrunk.map((d) => d.factor)],
      );
    }
    const entries = [...touched].map((k) => [...k.split('\u0000'), statistics.get(k)!] as [string, string, number]);
    await tx(
      `INSERT INTO performance_drift (model_id, task_type, statistic)
       SELECT * FROM unnest($1::text[], $2::text[], $3::float8[])
       ON CONFLICT (model_id, task_type) DO UPDATE SET statistic = EXCLUDED.statistic, updated_at = now()`,
      [entries.map((e) => e[0]), entries.map((e) => e[1]), entries.map((e) => e[2])],
    );
  }

  /** A reset model starts its statistics again (all of them, or those of the listed task types). */
  async reset(tx: TransactionQuery, modelId: string, taskTypes: string[] | null): Promise<void> {
    await tx(`DELETE FROM performance_drift WHERE model_id = $1 AND ($2::text[] IS NULL OR task_type = ANY($2::text[]))`, [modelId, taskTypes]);
  }
}

/** The kind's quality evidence at the rating's instant; the mean needs no decay (sum and weight decay alike). */
function kindEvidence(row: EvidenceRecord, at: Date, halfLifeMs: number): KindEvidence | null {
  if (!(row.quality_weight > 0)) return null;
  return { weight: row.quality_weight * decayFactor(at.getTime() - new Date(row.decayed_to).getTime(), halfLifeMs), mean: row.quality_sum / row.quality_weight };
}

function key(modelId: string, taskType: string): string {
  return `${modelId}\u0000${taskType}`;
}
