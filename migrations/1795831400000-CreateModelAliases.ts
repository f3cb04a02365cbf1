import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operator-defined names for models (`gpt-4o` -> a registered model, `auto` or `auto:<task_type>`),
 * resolved on `/v1` before the model is looked up. An alias ending in `*` is a prefix pattern.
 * No foreign key to `models`: a target may be `auto`, which is no row.
 */
export class CreateModelAliases1795831400000 implements MigrationInterface {
  name = 'CreateModelAliases1795831400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE model_aliases (
        alias      varchar(128) PRIMARY KEY,
        target     varchar(140) NOT NULL,
        created_at timestamptz  NOT NULL DEFAULT now(),
        updated_at timestamptz  NOT NULL DEFAULT now()
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE model_aliases`);
  }
}
