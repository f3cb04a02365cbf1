import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Client keys (docs/keys.md): looked up by their public prefix, proven by the SHA-256 digest of the
 * whole key (the key itself is never stored). Requests remember the key they belong to, by id.
 */
export class CreateClientKeys1795831500000 implements MigrationInterface {
  name = 'CreateClientKeys1795831500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE client_keys (
        id           uuid         PRIMARY KEY,
        name         varchar(128) NOT NULL,
        prefix       varchar(32)  NOT NULL UNIQUE,
        digest       bytea        NOT NULL,
        owner        jsonb        NOT NULL DEFAULT '{}',
        models       text[],
        capabilities text[],
        limits       jsonb        NOT NULL DEFAULT '{}',
        expires_at   timestamptz,
        revoked_at   timestamptz,
        created_at   timestamptz  NOT NULL DEFAULT now(),
        updated_at   timestamptz  NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`ALTER TABLE inference_requests ADD COLUMN client_key varchar(64)`);
    await queryRunner.query(`CREATE INDEX inference_requests_client_key_created ON inference_requests (client_key, created_at DESC) WHERE client_key IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX inference_requests_client_key_created`);
    await queryRunner.query(`ALTER TABLE inference_requests DROP COLUMN client_key`);
    await queryRunner.query(`DROP TABLE client_keys`);
  }
}
