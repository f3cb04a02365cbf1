import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily spend (docs/keys.md, "Spend"). `requests` rows are whole closed days of request rows, written
 * once by the spend roll-up; `embeddings` rows are added to as embeddings are served (they have no
 * request row). `spend_rollup_state.rolled_through` is the last day rolled up: spend reports read
 * the roll-ups up to it and request rows after it, so every request counts exactly once, and
 * retention may delete request rows only of days rolled up.
 */
export class SpendRollups1795831800000 implements MigrationInterface {
  name = 'SpendRollups1795831800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE spend_daily (
        day               date             NOT NULL,
        source            varchar(16)      NOT NULL CHECK (source IN ('requests', 'embeddings')),
        client_key        varchar(64)      NOT NULL DEFAULT '',
        model_id          varchar(128)     NOT NULL DEFAULT '',
        task_type         varchar(64)      NOT NULL,
        requests          integer          NOT NULL,
        prompt_tokens     bigint           NOT NULL,
        completion_tokens bigint           NOT NULL,
        cost              double precision NOT NULL,
        PRIMARY KEY (day, source, client_key, model_id, task_type)
      )
    `);
    // Budgets are re-seeded per key; a key's own report reads its rows.
    await queryRunner.query(`CREATE INDEX spend_daily_client_key_day ON spend_daily (client_key, day)`);
    await queryRunner.query(`
      CREATE TABLE spend_rollup_state (
        id             smallint PRIMARY KEY CHECK (id = 1),
        rolled_through date     NOT NULL
      )
    `);
    // Nothing is rolled up yet: the day before the oldest request (or yesterday on an empty database).
    await queryRunner.query(`
      INSERT INTO spend_rollup_state (id, rolled_through)
      SELECT 1, coalesce(min((created_at AT TIME ZONE 'UTC')::date), (now() AT TIME ZONE 'UTC')::date) - 1 FROM inference_requests
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE spend_rollup_state`);
    await queryRunner.query(`DROP TABLE spend_daily`);
  }
}
