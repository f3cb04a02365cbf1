import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddQualitySpread1795830450000 implements MigrationInterface {
  name = 'AddQualitySpread1795830450000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Decayed weighted sum of squared quality ratings: the spread of the ratings, from which routing
    // knows how sure a quality score is. Existing rows get the widest spread their mean allows
    // (sum of q^2 = sum of q, as if every rating were 0 or 1), which is what routing assumed before.
    await queryRunner.query(`ALTER TABLE performance_scores ADD COLUMN quality_sq_sum double precision NOT NULL DEFAULT 0`);
    await queryRunner.query(`UPDATE performance_scores SET quality_sq_sum = quality_sum`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE performance_scores DROP COLUMN quality_sq_sum`);
  }
}
