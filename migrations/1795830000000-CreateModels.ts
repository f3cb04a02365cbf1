import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateModels1795830000000 implements MigrationInterface {
  name = 'CreateModels1795830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE models (
        id                   varchar(128)     PRIMARY KEY,
        provider             varchar(32)      NOT NULL CHECK (provider IN ('openai', 'anthropic', 'ollama', 'local')),
        capabilities         text[]           NOT NULL,
        context_length       integer          NOT NULL CHECK (context_length > 0),
        token_limit          integer          NOT NULL CHECK (token_limit > 0),
        price_input          double precision NOT NULL CHECK (price_input >= 0),
        price_output         double precision NOT NULL CHECK (price_output >= 0),
        version              varchar(128),
        description          text,
        performance_baseline jsonb            NOT NULL DEFAULT '{}'::jsonb,
        settings             jsonb            NOT NULL DEFAULT '{}'::jsonb,
        api_key_sealed       text,
        enabled              boolean          NOT NULL DEFAULT true,
        source               varchar(16)      NOT NULL CHECK (source IN ('catalogue', 'registered', 'discovered')),
        prices_as_of         date,
        created_at           timestamptz      NOT NULL DEFAULT now(),
        updated_at           timestamptz      NOT NULL DEFAULT now()
      )
    `);
    // GET /api/models?capability= filters on array membership.
    await queryRunner.query(`CREATE INDEX models_capabilities_idx ON models USING gin (capabilities)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE models`);
  }
}
