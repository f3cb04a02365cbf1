import { MigrationInterface, QueryRunner } from 'typeorm';

export class IndexFailuresAndFallbacks1795830900000 implements MigrationInterface {
  name = 'IndexFailuresAndFallbacks1795830900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // GET /api/models/requests lists the newest failed requests and fallbacks: a small share of
    // all requests, read newest first without scanning the rest.
    await queryRunner.query(
      `CREATE INDEX inference_requests_failures_fallbacks_idx ON inference_requests (created_at DESC, id DESC)
        WHERE status = 'failed' OR (status = 'completed' AND attempts <> '[]'::jsonb)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX inference_requests_failures_fallbacks_idx`);
  }
}
