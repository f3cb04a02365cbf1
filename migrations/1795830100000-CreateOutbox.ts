import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOutbox1795830100000 implements MigrationInterface {
  name = 'CreateOutbox1795830100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE outbox_events (
        id           bigserial    PRIMARY KEY,
        pattern      varchar(64)  NOT NULL,
        payload      jsonb        NOT NULL,
        created_at   timestamptz  NOT NULL DEFAULT now(),
        published_at timestamptz
      )
    `);
    // The relay only ever scans what is still to publish.
    await queryRunner.query(`CREATE INDEX outbox_events_pending_idx ON outbox_events (id) WHERE published_at IS NULL`);
    await queryRunner.query(`CREATE INDEX outbox_events_published_at_idx ON outbox_events (published_at) WHERE published_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE outbox_events`);
  }
}
