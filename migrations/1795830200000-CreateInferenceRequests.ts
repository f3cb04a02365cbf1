import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateInferenceRequests1795830200000 implements MigrationInterface {
  name = 'CreateInferenceRequests1795830200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE inference_requests (
        id                 varchar(64)      PRIMARY KEY,
        kind               varchar(16)      NOT NULL CHECK (kind IN ('completion', 'chat')),
        status             varchar(16)      NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
        task_type          varchar(64)      NOT NULL,
        requested_model_id varchar(128),
        model_id           varchar(128),
        provider           varchar(32),
        attempts           jsonb            NOT NULL DEFAULT '[]'::jsonb,
        prompt_tokens      integer,
        completion_tokens  integer,
        total_tokens       integer,
        cost               double precision,
        latency_ms         integer,
        finish_reason      varchar(32),
        error              jsonb,
        response           jsonb,
        metadata           jsonb            NOT NULL DEFAULT '{}'::jsonb,
        created_at         timestamptz      NOT NULL DEFAULT now(),
        completed_at       timestamptz
      )
    `);
    // Feedback and performance read a model's requests by task type over time.
    await queryRunner.query(`CREATE INDEX inference_requests_model_task_idx ON inference_requests (model_id, task_type, created_at)`);
    // Shutdown and operators look for what is still running.
    await queryRunner.query(`CREATE INDEX inference_requests_running_idx ON inference_requests (created_at) WHERE status = 'running'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE inference_requests`);
  }
}
