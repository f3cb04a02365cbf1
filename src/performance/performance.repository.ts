import { Injectable } from '@nestjs/common';
import { GUARDED_IDS, Sql, SqlStep, TransactionQuery } from '../database/sql';
import { DriftRepository } from './drift.repository';
import { SCORES_LOCK } from './locks';
import { COUNTING } from './rollup.repository';
import { ALL_TASKS, DecayedSums, FORGOTTEN_AFTER_HALF_LIVES, ScoringRules } from './scoring';

export type ObservationSource = 'automatic' | 'user';

export interface NewObservation {
  modelId: string;
  taskType: string;
  source: ObservationSource;
  requestId: string | null;
  success: boolean;
  /** Null: the observation carries no quality signal. */
  quality: number | null;
  weight: number;
  observedAt: Date;
}

export interface ScoreRow extends DecayedSums {
  modelId: string;
  taskType: string;
  /** Observations the sums include (each counts whole, however decayed or pushed out its weight is). */
  sampleCount: number;
}

/** The columns of a score row, named rather than `*`: a named statement's plan must not change shape under a migration. */
const SCORE_COLUMNS = 'model_id, task_type, weight_sum, success_sum, quality_weight, quality_sum, quality_sq_sum, sample_count, decayed_to';

interface ScoreRecord {
  model_id: string;
  task_type: string;
  weight_sum: number;
  success_sum: number;
  quality_weight: number;
  quality_sum: number;
  quality_sq_sum: number;
  sample_count: number;
  decayed_to: Date;
}


/** How evidence is decayed and bounded; see `ScoringRules`. */
export type EvidenceRules = Pick<ScoringRules, 'halfLifeMs' | 'maxEvidence'>;

/** Decay of a contribution from `from` to `to` (timestamps), as SQL; $2 is the half-life in ms. Zero past FORGOTTEN_AFTER_HALF_LIVES, as `decayFactor`. */
const decay = (from: string, to: string) => {
  const halfLives = `(greatest(0, extract(epoch FROM (${to} - ${from})) * 1000) / $2)`;
  return `(CASE WHEN ${halfLives} > ${FORGOTTEN_AFTER_HALF_LIVES} THEN 0 ELSE power(0.5, ${halfLives}) END)`;
};

/** The factor that brings a weight down to the evidence cap ($3) when it is above it. */
const capFactor = (weight: string) => `(CASE WHEN ${weight} > $3 THEN $3 / ${weight} ELSE 1 END)`;

/**
 * A stored sum (`s`) merged with new evidence (`EXCLUDED`) in an upsert, both decayed to the later
 * instant. When the pair's total weight (`weight`) would pass the cap ($3), the stored sum keeps
 * only the share that leaves room for the new evidence. Never below zero.
 */
function merged(column: string, weight: string): string {
  const stored = (c: string) => `s.${c} * ${decay('s.decayed_to', 'EXCLUDED.decayed_to')}`;
  const incoming = (c: string) => `EXCLUDED.${c} * ${decay('EXCLUDED.decayed_to', 's.decayed_to')}`;
  const [old, added] = [stored(weight), incoming(weight)];
  const keep = `(CASE WHEN ${added} > 0 AND ${old} > 0 AND ${old} + ${added} > $3 THEN greatest(0, $3 - ${added}) / (${old}) ELSE 1 END)`;
  return `greatest(0, ${stored(column)} * ${keep} + ${incoming(column)})`;
}

@Injectable()
export class PerformanceRepository {
  constructor(
    private readonly sql: Sql,
    private readonly drift: DriftRepository,
  ) {}

  /** Appends observations already added to the scores (feedback); returns their ids in order. */
  async insertObservations(tx: TransactionQuery, observations: NewObservation[]): Promise<string[]> {
    if (observations.length === 0) return [];
    const rows: { id: string }[] = await tx(
      `INSERT INTO performance_observations (${OBSERVATION_COLUMNS}, folded)
       SELECT ${OBSERVATION_VALUES}, true FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n
       RETURNING id`,
      [JSON.stringify(observations.map(toRecord))],
    );
    return rows.map((r) => r.id);
  }

  /**
   * The statement that appends the observations of many requests' outcomes (one `Sql.writtenFor`),
   * each only if the guard changed its owner's row, unfolded: `foldPending` adds them to the scores.
   */
  ownedObservationsStep(observations: { owner: string; observation: NewObservation }[]): SqlStep {
    return {
      sql: `INSERT INTO performance_observations (${OBSERVATION_COLUMNS}, folded)
            SELECT ${OBSERVATION_VALUES}, false FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)
             WHERE e->>'owner' IN ${GUARDED_IDS}
             ORDER BY n`,
      params: [JSON.stringify(observations.map(({ owner, observation }) => ({ owner, ...toRecord(observation) })))],
    };
  }

  /**
   * Adds up to `limit` observations written unfolded to the scores, oldest first, and marks them
   * folded, in one transaction; returns the updated score rows and how many observations were
   * taken. Voided observations and those recorded before a reset of their model are marked
   * without counting. Folds and resets take turns (one advisory lock), so a reset never rebuilds
   * from evidence a fold is adding at the same moment.
   */
  async foldPending(limit: number, rules: EvidenceRules): Promise<{ taken: number; scores: ScoreRow[] }> {
    return this.sql.transaction(async (tx) => {
      await tx(`SELECT pg_advisory_xact_lock(${SCORES_LOCK})`);
      const rows: (ReturnType<typeof toRecord> & { counted: boolean })[] = await tx(
        `WITH taken AS (
           UPDATE performance_observations o SET folded = true
            WHERE o.id IN (SELECT id FROM performance_observations WHERE NOT folded ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING o.model_id, o.task_type, o.source, o.request_id, o.success, o.quality, o.weight, o.observed_at,
                     ${COUNTING} AS counted
         )
         SELECT * FROM taken`,
        [limit],
      );
      const counted = rows.filter((r) => r.counted).map(fromRecord);
      return { taken: rows.length, scores: await this.addToScores(tx, counted, rules) };
    });
  }

  /**
   * Adds observations (negative weights remove them) to the decayed sums of their task type and
   * of the model overall, in one statement, and to the rows' sample counts; returns the updated rows. Sums are decayed to the
   * later of the stored instant and the new one, so order of arrival does not matter. Each pair
   * of sums (all observations; those with a quality signal) holds at most `rules.maxEvidence` of
   * weight: new evidence pushes out a proportional share of the old, so a score follows a model
   * whose quality drifts within a bounded number of observations, whatever the traffic. A
   * removal after such a push-out takes out the observation's full weight, clamped at zero.
   */
  async addToScores(tx: TransactionQuery, observations: NewObservation[], rules: EvidenceRules): Promise<ScoreRow[]> {
    if (observations.length === 0) return [];
    await this.drift.discountDrifted(tx, observations, rules.halfLifeMs);
    const rows: ScoreRecord[] = await tx(
      `WITH obs AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS o(model_id text, task_type text, success boolean, quality float8,
                weight float8, observed_at timestamptz)
       ), keyed AS (
         SELECT model_id, task_type, success, quality, weight, observed_at FROM obs
         UNION ALL
         SELECT model_id, '${ALL_TASKS}', success, quality, weight, observed_at FROM obs
       ), latest AS (
         SELECT model_id, task_type, max(observed_at) AS at FROM keyed GROUP BY model_id, task_type
       ), grouped AS (
         SELECT k.model_id, k.task_type, l.at,
                sum(k.weight * ${decay('k.observed_at', 'l.at')}) AS weight_sum,
                sum(CASE WHEN k.success THEN k.weight * ${decay('k.observed_at', 'l.at')} ELSE 0 END) AS success_sum,
                sum(CASE WHEN k.quality IS NULL THEN 0 ELSE k.weight * ${decay('k.observed_at', 'l.at')} END) AS quality_weight,
                sum(coalesce(k.quality, 0) * k.weight * ${decay('k.observed_at', 'l.at')}) AS quality_sum,
                sum(coalesce(k.quality, 0) ^ 2 * k.weight * ${decay('k.observed_at', 'l.at')}) AS quality_sq_sum,
                sum(CASE WHEN k.weight > 0 THEN 1 ELSE -1 END)::int AS sample_count
           FROM keyed k JOIN latest l USING (model_id, task_type)
          GROUP BY k.model_id, k.task_type, l.at
       ), capped AS (
         SELECT model_id, task_type, at,
                weight_sum * ${capFactor('weight_sum')} AS weight_sum, success_sum * ${capFactor('weight_sum')} AS success_sum,
                quality_weight * ${capFactor('quality_weight')} AS quality_weight, quality_sum * ${capFactor('quality_weight')} AS quality_sum,
                quality_sq_sum * ${capFactor('quality_weight')} AS quality_sq_sum, sample_count
           FROM grouped
       )
       INSERT INTO performance_scores AS s (model_id, task_type, weight_sum, success_sum, quality_weight, quality_sum, quality_sq_sum,
                                            sample_count, decayed_to)
       SELECT model_id, task_type, weight_sum, success_sum, quality_weight, quality_sum, quality_sq_sum, sample_count, at
         FROM capped
       ON CONFLICT (model_id, task_type) DO UPDATE SET
         weight_sum     = ${merged('weight_sum', 'weight_sum')},
         success_sum    = least(${merged('weight_sum', 'weight_sum')}, ${merged('success_sum', 'weight_sum')}),
         quality_weight = ${merged('quality_weight', 'quality_weight')},
         quality_sum    = least(${merged('quality_weight', 'quality_weight')}, ${merged('quality_sum', 'quality_weight')}),
         quality_sq_sum = least(${merged('quality_weight', 'quality_weight')}, ${merged('quality_sq_sum', 'quality_weight')}),
         sample_count   = greatest(0, s.sample_count + EXCLUDED.sample_count),
         decayed_to     = greatest(s.decayed_to, EXCLUDED.decayed_to)
       RETURNING ${SCORE_COLUMNS}`,
      [JSON.stringify(observations.map(toRecord)), rules.halfLifeMs, rules.maxEvidence],
    );
    return rows.map(toScoreRow);
  }

  /**
   * Voids an observation; returns it (to be taken out of the scores) unless it is not in them:
   * not folded yet (the fold will skip it), or taken out by a reset since it was recorded.
   */
  async voidObservation(tx: TransactionQuery, id: string): Promise<NewObservation | null> {
    const rows: (ReturnType<typeof toRecord> & { counted: boolean })[] = await tx(
      `WITH voided AS (
         UPDATE performance_observations o SET voided_at = now()
          WHERE o.id = $1 AND o.voided_at IS NULL
         RETURNING o.model_id, o.task_type, o.source, o.request_id, o.success, o.quality, o.weight, o.observed_at,
                   o.folded AND NOT EXISTS (SELECT 1 FROM performance_resets r
                                WHERE r.model_id = o.model_id AND r.task_type IN (o.task_type, '${ALL_TASKS}')
                                  AND r.reset_at >= o.recorded_at) AS counted
       )
       SELECT * FROM voided`,
      [id],
    );
    const row = rows[0];
    return row?.counted ? fromRecord(row) : null;
  }

  /**
   * Resets a model's evidence for the given task types (null: all): observations recorded until
   * now stop counting, their scores and roll-ups go, and the overall score is rebuilt from the
   * other task types' scores. Returns the model's remaining score rows.
   */
  async reset(modelId: string, taskTypes: string[] | null, rules: EvidenceRules): Promise<ScoreRow[]> {
    return this.sql.transaction(async (tx) => {
      await tx(`SELECT pg_advisory_xact_lock(${SCORES_LOCK})`);
      await tx(
        `INSERT INTO performance_resets (model_id, task_type, reset_at) SELECT $1, unnest($2::text[]), now()
         ON CONFLICT (model_id, task_type) DO UPDATE SET reset_at = EXCLUDED.reset_at`,
        [modelId, taskTypes ?? [ALL_TASKS]],
      );
      await this.drift.reset(tx, modelId, taskTypes);
      if (taskTypes === null) {
        await tx(`DELETE FROM performance_rollups WHERE model_id = $1`, [modelId]);
        await tx(`DELETE FROM performance_scores WHERE model_id = $1`, [modelId]);
      } else {
        await tx(`DELETE FROM performance_rollups WHERE model_id = $1 AND task_type = ANY($2::text[])`, [modelId, taskTypes]);
        await tx(`DELETE FROM performance_scores WHERE model_id = $1 AND task_type = ANY(array_append($2::text[], '${ALL_TASKS}'))`, [
          modelId,
          taskTypes,
        ]);
        // Rebuilt from the task types' rows that remain (their decayed sums are the evidence that still counts, the fold adds
        // what is pending), decayed to now and brought down to the cap. Not from raw observations: retention prunes old ones.
        await tx(
          `INSERT INTO performance_scores (model_id, task_type, weight_sum, success_sum, quality_weight, quality_sum, quality_sq_sum,
                                           sample_count, decayed_to)
           SELECT $1::text, '${ALL_TASKS}', w * ${capFactor('w')}, sw * ${capFactor('w')}, qw * ${capFactor('qw')}, q * ${capFactor('qw')},
                  q2 * ${capFactor('qw')}, n, now()
             FROM (SELECT sum(s.sample_count)::int AS n, sum(s.weight_sum * ${decay('s.decayed_to', 'now()')}) AS w,
                          sum(s.success_sum * ${decay('s.decayed_to', 'now()')}) AS sw,
                          sum(s.quality_weight * ${decay('s.decayed_to', 'now()')}) AS qw,
                          sum(s.quality_sum * ${decay('s.decayed_to', 'now()')}) AS q,
                          sum(s.quality_sq_sum * ${decay('s.decayed_to', 'now()')}) AS q2
                     FROM performance_scores s
                    WHERE s.model_id = $1::text AND s.task_type <> '${ALL_TASKS}'
                   HAVING count(*) > 0) rebuilt`,
          [modelId, rules.halfLifeMs, rules.maxEvidence],
        );
      }
      const rows: ScoreRecord[] = await tx(`SELECT ${SCORE_COLUMNS} FROM performance_scores WHERE model_id = $1`, [modelId]);
      return rows.map(toScoreRow);
    });
  }

  async allScores(): Promise<ScoreRow[]> {
    return (await this.sql.query<ScoreRecord>(`SELECT ${SCORE_COLUMNS} FROM performance_scores`)).map(toScoreRow);
  }

  async scoresOf(modelIds: string[]): Promise<ScoreRow[]> {
    const rows = await this.sql.query<ScoreRecord>(`SELECT ${SCORE_COLUMNS} FROM performance_scores WHERE model_id = ANY($1)`, [modelIds]);
    return rows.map(toScoreRow);
  }
}

const OBSERVATION_COLUMNS = 'model_id, task_type, source, request_id, success, quality, weight, observed_at';
/** The columns above, from the element `e` written by `toRecord`. */
const OBSERVATION_VALUES = `e->>'model_id', e->>'task_type', e->>'source', e->>'request_id', (e->>'success')::boolean,
  (e->>'quality')::float8, (e->>'weight')::float8, (e->>'observed_at')::timestamptz`;

function toRecord(o: NewObservation) {
  return {
    model_id: o.modelId,
    task_type: o.taskType,
    source: o.source,
    request_id: o.requestId,
    success: o.success,
    quality: o.quality,
    weight: o.weight,
    observed_at: o.observedAt.toISOString(),
  };
}

function fromRecord(r: ReturnType<typeof toRecord>): NewObservation {
  return {
    modelId: r.model_id,
    taskType: r.task_type,
    source: r.source,
    requestId: r.request_id,
    success: r.success,
    quality: r.quality,
    weight: r.weight,
    observedAt: new Date(r.observed_at),
  };
}

function toScoreRow(r: ScoreRecord): ScoreRow {
  return {
    modelId: r.model_id,
    taskType: r.task_type,
    weightSum: r.weight_sum,
    successSum: r.success_sum,
    qualityWeight: r.quality_weight,
    qualitySum: r.quality_sum,
    qualitySqSum: r.quality_sq_sum,
    sampleCount: r.sample_count,
    decayedTo: new Date(r.decayed_to),
  };
}
