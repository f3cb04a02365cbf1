import { MigrationInterface, QueryRunner } from 'typeorm';

export class FoldObservationsLater1795830500000 implements MigrationInterface {
  name = 'FoldObservationsLater1795830500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Automatic observations are written with the request's outcome and folded into the scores
    // shortly after, in batches, so concurrent requests never wait on one model's score row.
    // Everything recorded before this column existed is already in the scores.
    await queryRunner.query(`ALTER TABLE performance_observations ADD COLUMN folded boolean NOT NULL DEFAULT true`);
    await queryRunner.query(`ALTER TABLE performance_observations ALTER COLUMN folded SET DEFAULT false`);
    await queryRunner.query(`CREATE INDEX performance_observations_unfolded_idx ON performance_observations (id) WHERE NOT folded`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX performance_observations_unfolded_idx`);
    await queryRunner.query(`ALTER TABLE performance_observations DROP COLUMN folded`);
  }
}
