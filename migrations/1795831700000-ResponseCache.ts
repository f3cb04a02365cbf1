import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The response cache (docs/api.md 'Response cache'): a key's default time to keep answers of its
 * requests (null: its requests are cached only when they ask), and whether a request was answered
 * from the cache (no provider called, no cost, no performance observation).
 */
export class ResponseCache1795831700000 implements MigrationInterface {
  name = 'ResponseCache1795831700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE client_keys ADD COLUMN cache_ttl_seconds integer CHECK (cache_ttl_seconds > 0)`);
    await queryRunner.query(`ALTER TABLE inference_requests ADD COLUMN cached boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE inference_requests DROP COLUMN cached`);
    await queryRunner.query(`ALTER TABLE client_keys DROP COLUMN cache_ttl_seconds`);
  }
}
