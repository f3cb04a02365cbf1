import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prices per 1K input tokens read from and written to a provider's prompt cache. Nullable: a model
 * without them bills those tokens at its input price, as every model did before.
 */
export class AddCachePrices1795831300000 implements MigrationInterface {
  name = 'AddCachePrices1795831300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE models
        ADD COLUMN price_cached_input double precision CHECK (price_cached_input >= 0),
        ADD COLUMN price_cache_write  double precision CHECK (price_cache_write >= 0)
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE models DROP COLUMN price_cached_input, DROP COLUMN price_cache_write`);
  }
}
