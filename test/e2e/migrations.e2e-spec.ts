import { DataSource } from 'typeorm';
import { TestDatabase } from '../support/test-app';

async function tables(dataSource: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

describe('migrations', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await TestDatabase.create();
    dataSource = await db.dataSource().initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('run up on an empty database, down to nothing, and up again', async () => {
    expect(await tables(dataSource)).toEqual([]);

    const applied = await dataSource.runMigrations({ transaction: 'each' });
    expect(applied.length).toBe(dataSource.migrations.length);
    expect(await tables(dataSource)).toEqual(expect.arrayContaining(['migrations', 'models']));

    for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tables(dataSource)).toEqual(['migrations']);
    expect(await dataSource.query('SELECT * FROM migrations')).toEqual([]);

    await dataSource.runMigrations({ transaction: 'each' });
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('backfills each score row\'s sample count from the folded observations that still count', async () => {
    while ((await dataSource.query(`SELECT 1 FROM migrations WHERE name = 'CountScoreSamples1795831100000'`)).length > 0) {
      await dataSource.undoLastMigration({ transaction: 'each' });
    }
    await dataSource.query(`INSERT INTO performance_resets (model_id, task_type, reset_at) VALUES ('m', 'reset', now() - interval '1 hour')`);
    await dataSource.query(
      `INSERT INTO performance_observations (model_id, task_type, source, success, weight, observed_at, recorded_at, folded, voided_at)
       VALUES ('m', 'code', 'automatic', true, 1, now(), now(), true, NULL),
              ('m', 'code', 'user', true, 3, now(), now(), true, NULL),
              ('m', 'code', 'user', true, 3, now(), now(), true, now()),                                -- voided: replaced feedback
              ('m', 'code', 'automatic', true, 1, now(), now(), false, NULL),                           -- not folded yet: the fold counts it
              ('m', 'reset', 'automatic', true, 1, now(), now() - interval '2 hours', true, NULL),     -- before its task type's reset
              ('m', 'reset', 'automatic', true, 1, now(), now(), true, NULL)`,
    );
    await dataSource.query(
      `INSERT INTO performance_scores (model_id, task_type, weight_sum, success_sum, quality_weight, quality_sum, decayed_to)
       SELECT 'm', t, 1, 1, 0, 0, now() FROM unnest(ARRAY['code', 'reset', '*', 'empty']) AS t`,
    );

    await dataSource.runMigrations({ transaction: 'each' });
    const rows: { task_type: string; sample_count: number }[] = await dataSource.query(
      `SELECT task_type, sample_count FROM performance_scores ORDER BY task_type`,
    );
    expect(rows).toEqual([
      { task_type: '*', sample_count: 3 },
      { task_type: 'code', sample_count: 2 },
      { task_type: 'empty', sample_count: 0 },
      { task_type: 'reset', sample_count: 1 },
    ]);
  });
});
