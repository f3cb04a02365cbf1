import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Requests belong to the instance running them, which holds a lease it renews; a live instance
 * finalizes the requests of an instance whose lease ran out (a process that died) as interrupted.
 */
export class InstanceLeases1795831000000 implements MigrationInterface {
  name = 'InstanceLeases1795831000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE service_instances (
        id           uuid        PRIMARY KEY,
        hostname     text        NOT NULL,
        pid          integer     NOT NULL,
        started_at   timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`ALTER TABLE inference_requests ADD COLUMN instance_id uuid`);
    // The reclaimer looks for queued requests whose job may be gone (running ones: inference_requests_running_idx).
    await queryRunner.query(`CREATE INDEX inference_requests_queued_idx ON inference_requests (created_at) WHERE status = 'queued'`);
    // Lets one statement write an outcome only while its row is still in the expected state (Sql.atomicallyIf).
    await queryRunner.query(`
      CREATE FUNCTION mos_require_row(row_found boolean) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        IF NOT row_found THEN
          RAISE EXCEPTION 'the row this statement guards has changed state' USING ERRCODE = 'no_data_found';
        END IF;
        RETURN true;
      END
      $$
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION mos_require_row(boolean)`);
    await queryRunner.query(`DROP INDEX inference_requests_queued_idx`);
    await queryRunner.query(`ALTER TABLE inference_requests DROP COLUMN instance_id`);
    await queryRunner.query(`DROP TABLE service_instances`);
  }
}
