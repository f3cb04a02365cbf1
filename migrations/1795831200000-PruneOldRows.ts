import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the retention job needs (docs/operations.md, 'Data retention and table sizes'). The indexes
 * are created IF NOT EXISTS, so on a large database an operator may build them beforehand with
 * CREATE INDEX CONCURRENTLY under the same names and this migration does not lock the tables.
 */
export class PruneOldRows1795831200000 implements MigrationInterface {
  name = 'PruneOldRows1795831200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The job takes the oldest finished requests in batches; running and queued ones are never in this index.
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS inference_requests_finished_created_idx ON inference_requests (created_at)
        WHERE status IN ('completed', 'failed', 'cancelled')`,
    );
    // A request's feedback goes with it; each foreign key into feedback is checked on every delete of what it references.
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS feedback_request_idx ON feedback (request_id)`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS feedback_observation_idx ON feedback (observation_id)`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS feedback_replaced_by_idx ON feedback (replaced_by) WHERE replaced_by IS NOT NULL`);
    // What pruned observations contributed to a bucket: a recompute of the bucket adds it to what the
    // remaining observations give, so a bucket never loses samples that were pruned.
    await queryRunner.query(`
      ALTER TABLE performance_rollups
        ADD COLUMN pruned_count          integer          NOT NULL DEFAULT 0,
        ADD COLUMN pruned_weight_sum     double precision NOT NULL DEFAULT 0,
        ADD COLUMN pruned_success_sum    double precision NOT NULL DEFAULT 0,
        ADD COLUMN pruned_quality_weight double precision NOT NULL DEFAULT 0,
        ADD COLUMN pruned_quality_sum    double precision NOT NULL DEFAULT 0
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Pruned samples stay in the buckets' sums; only the record of which part was pruned goes.
    await queryRunner.query(`
      ALTER TABLE performance_rollups
        DROP COLUMN pruned_count, DROP COLUMN pruned_weight_sum, DROP COLUMN pruned_success_sum,
        DROP COLUMN pruned_quality_weight, DROP COLUMN pruned_quality_sum
    `);
    await queryRunner.query(`DROP INDEX feedback_replaced_by_idx`);
    await queryRunner.query(`DROP INDEX feedback_observation_idx`);
    await queryRunner.query(`DROP INDEX feedback_request_idx`);
    await queryRunner.query(`DROP INDEX inference_requests_finished_created_idx`);
  }
}
