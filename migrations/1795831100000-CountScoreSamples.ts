import { MigrationInterface, QueryRunner } from 'typeorm';

export class CountScoreSamples1795831100000 implements MigrationInterface {
  name = 'CountScoreSamples1795831100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // How many observations a score row's sums include, kept by every write that changes the sums,
    // so a report's sample_count describes the same evidence as the scores beside it. No CHECK: an
    // upsert's proposed row carries the change (-1 for a voided observation), the stored value is
    // the clamped sum.
    await queryRunner.query(`ALTER TABLE performance_scores ADD COLUMN sample_count integer NOT NULL DEFAULT 0`);
    // Existing rows count the observations already folded into them that still count: not voided,
    // recorded after any reset of their model and task type ('*': all of them).
    await queryRunner.query(`
      WITH counting AS (
        SELECT o.model_id, o.task_type FROM performance_observations o
         WHERE o.folded AND o.voided_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM performance_resets r
                            WHERE r.model_id = o.model_id AND r.task_type IN (o.task_type, '*') AND r.reset_at >= o.recorded_at)
      ), counted AS (
        SELECT model_id, task_type, count(*)::int AS n FROM counting GROUP BY model_id, task_type
        UNION ALL
        SELECT model_id, '*', count(*)::int FROM counting GROUP BY model_id
      )
      UPDATE performance_scores s SET sample_count = c.n FROM counted c WHERE s.model_id = c.model_id AND s.task_type = c.task_type
    `);
    // Every writer states the count from now on.
    await queryRunner.query(`ALTER TABLE performance_scores ALTER COLUMN sample_count DROP DEFAULT`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE performance_scores DROP COLUMN sample_count`);
  }
}
