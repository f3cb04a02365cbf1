import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drift statistics of models on kinds learned from prompts (docs/routing.md, 'Drift across kinds'): per model
 * (task type '*', across its kinds) and per (model, kind), how far its recent ratings fell below
 * what each kind's evidence expected. One row per score row at most, so bounded like them.
 */
export class PerformanceDrift1795831900000 implements MigrationInterface {
  name = 'PerformanceDrift1795831900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE performance_drift (
        model_id   varchar(128)     NOT NULL,
        task_type  varchar(64)      NOT NULL,
        statistic  double precision NOT NULL CHECK (statistic >= 0),
        updated_at timestamptz      NOT NULL DEFAULT now(),
        PRIMARY KEY (model_id, task_type)
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE performance_drift`);
  }
}
