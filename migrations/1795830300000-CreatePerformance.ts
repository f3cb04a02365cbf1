import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePerformance1795830300000 implements MigrationInterface {
  name = 'CreatePerformance1795830300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Append-only evidence. A replaced piece of feedback is voided, never deleted or edited.
    await queryRunner.query(`
      CREATE TABLE performance_observations (
        id             bigserial        PRIMARY KEY,
        model_id       varchar(128)     NOT NULL,
        task_type      varchar(64)      NOT NULL,
        source         varchar(16)      NOT NULL CHECK (source IN ('automatic', 'user')),
        request_id     varchar(64),
        success        boolean          NOT NULL,
        quality        double precision CHECK (quality BETWEEN 0 AND 1),
        weight         double precision NOT NULL CHECK (weight > 0),
        observed_at    timestamptz      NOT NULL,
        recorded_at    timestamptz      NOT NULL DEFAULT now(),
        voided_at      timestamptz
      )
    `);
    await queryRunner.query(`CREATE INDEX performance_observations_model_task_idx ON performance_observations (model_id, task_type, observed_at)`);
    await queryRunner.query(`CREATE INDEX performance_observations_recorded_idx ON performance_observations (recorded_at)`);
    await queryRunner.query(`CREATE INDEX performance_observations_voided_idx ON performance_observations (voided_at) WHERE voided_at IS NOT NULL`);

    // Time-decayed sums per (model, task type); task type '*' is the model overall.
    await queryRunner.query(`
      CREATE TABLE performance_scores (
        model_id        varchar(128)     NOT NULL,
        task_type       varchar(64)      NOT NULL,
        weight_sum      double precision NOT NULL,
        success_sum     double precision NOT NULL,
        quality_weight  double precision NOT NULL,
        quality_sum     double precision NOT NULL,
        decayed_to      timestamptz      NOT NULL,
        PRIMARY KEY (model_id, task_type)
      )
    `);

    await queryRunner.query(`
      CREATE TABLE performance_rollups (
        model_id        varchar(128)     NOT NULL,
        task_type       varchar(64)      NOT NULL,
        granularity     varchar(8)       NOT NULL CHECK (granularity IN ('day', 'week', 'month')),
        period_start    timestamptz      NOT NULL,
        sample_count    integer          NOT NULL,
        weight_sum      double precision NOT NULL,
        success_sum     double precision NOT NULL,
        quality_weight  double precision NOT NULL,
        quality_sum     double precision NOT NULL,
        PRIMARY KEY (model_id, task_type, granularity, period_start)
      )
    `);
    await queryRunner.query(`CREATE INDEX performance_rollups_period_idx ON performance_rollups (granularity, period_start)`);

    // Observations at or before a reset stop counting for that model and task type ('*': all).
    await queryRunner.query(`
      CREATE TABLE performance_resets (
        model_id   varchar(128) NOT NULL,
        task_type  varchar(64)  NOT NULL,
        reset_at   timestamptz  NOT NULL,
        PRIMARY KEY (model_id, task_type)
      )
    `);

    await queryRunner.query(`
      CREATE TABLE performance_rollup_runs (
        id          smallint    PRIMARY KEY CHECK (id = 1),
        started_at  timestamptz NOT NULL
      )
    `);

    await queryRunner.query(`
      CREATE TABLE feedback (
        id             uuid             PRIMARY KEY,
        request_id     varchar(64)      NOT NULL REFERENCES inference_requests (id),
        user_key       varchar(128)     NOT NULL,
        model_id       varchar(128)     NOT NULL,
        task_type      varchar(64)      NOT NULL,
        quality_rating double precision CHECK (quality_rating BETWEEN 0 AND 1),
        success        boolean          NOT NULL,
        feedback       text,
        corrections    jsonb,
        metadata       jsonb            NOT NULL DEFAULT '{}'::jsonb,
        observation_id bigint           NOT NULL REFERENCES performance_observations (id),
        created_at     timestamptz      NOT NULL,
        replaced_by    uuid             REFERENCES feedback (id) DEFERRABLE INITIALLY DEFERRED
      )
    `);
    // One standing piece of feedback per user and request; earlier ones are kept, marked replaced.
    await queryRunner.query(`CREATE UNIQUE INDEX feedback_current_idx ON feedback (request_id, user_key) WHERE replaced_by IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE feedback`);
    await queryRunner.query(`DROP TABLE performance_rollup_runs`);
    await queryRunner.query(`DROP TABLE performance_resets`);
    await queryRunner.query(`DROP TABLE performance_rollups`);
    await queryRunner.query(`DROP TABLE performance_scores`);
    await queryRunner.query(`DROP TABLE performance_observations`);
  }
}
