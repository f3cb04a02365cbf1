import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Kinds of requests learned from the prompts of requests without a task type (docs/routing.md,
 * 'Requests without a task type'): per kind the sum of its prompts' feature vectors (a fixed
 * length), how many it took, and a bounded sketch of its frequent words for its hint. The service
 * keeps ids below ROUTING_PROMPT_KINDS (32 by default, at most 100). A request keeps the kind it was
 * routed as, so its automatic observation and later feedback count for that kind.
 */
export class PromptKinds1795831600000 implements MigrationInterface {
  name = 'PromptKinds1795831600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE prompt_kinds (
        id         smallint    PRIMARY KEY CHECK (id >= 0),
        sum        real[]      NOT NULL,
        count      bigint      NOT NULL,
        words      jsonb       NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`ALTER TABLE inference_requests ADD COLUMN inferred_task varchar(16)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE inference_requests DROP COLUMN inferred_task`);
    await queryRunner.query(`DROP TABLE prompt_kinds`);
  }
}
