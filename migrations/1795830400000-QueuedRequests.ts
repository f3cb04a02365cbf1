import { MigrationInterface, QueryRunner } from 'typeorm';

/** Asynchronous requests wait in a queue before they run. */
export class QueuedRequests1795830400000 implements MigrationInterface {
  name = 'QueuedRequests1795830400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE inference_requests DROP CONSTRAINT inference_requests_status_check`);
    await queryRunner.query(
      `ALTER TABLE inference_requests ADD CONSTRAINT inference_requests_status_check
         CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE inference_requests SET status = 'cancelled' WHERE status = 'queued'`);
    await queryRunner.query(`ALTER TABLE inference_requests DROP CONSTRAINT inference_requests_status_check`);
    await queryRunner.query(
      `ALTER TABLE inference_requests ADD CONSTRAINT inference_requests_status_check
         CHECK (status IN ('running', 'completed', 'failed', 'cancelled'))`,
    );
  }
}
