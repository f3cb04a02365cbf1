import { Injectable } from '@nestjs/common';
import { Sql } from '../../database/sql';
import { ModelAlias } from './alias-table';

export interface ModelAliasRow extends ModelAlias {
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'alias, target, created_at, updated_at';

@Injectable()
export class ModelAliasesRepository {
  constructor(private readonly sql: Sql) {}

  /** Every alias, in byte order of its name (the same whatever the database's collation). */
  findAll(): Promise<ModelAliasRow[]> {
    return this.sql.query(`SELECT ${COLUMNS} FROM model_aliases ORDER BY alias COLLATE "C"`);
  }

  /**
   * Creates or replaces an alias; null when it is new and `max` already exist. Writers take turns
   * on the table (readers do not wait), so instances adding the last free one at once cannot both.
   */
  upsert({ alias, target }: ModelAlias, max: number): Promise<ModelAliasRow | null> {
    return this.sql.transaction(async (tx) => {
      await tx(`LOCK TABLE model_aliases IN SHARE ROW EXCLUSIVE MODE`);
      const [{ count, present }] = await tx<{ count: number; present: boolean }>(
        `SELECT count(*)::int AS count, coalesce(bool_or(alias = $1), false) AS present FROM model_aliases`,
        [alias],
      );
      if (!present && count >= max) return null;
      const [row] = await tx<ModelAliasRow>(
        `INSERT INTO model_aliases (alias, target) VALUES ($1, $2)
         ON CONFLICT (alias) DO UPDATE SET target = EXCLUDED.target, updated_at = now()
         RETURNING ${COLUMNS}`,
        [alias, target],
      );
      return row;
    });
  }

  /** False when there was no such alias. */
  async delete(alias: string): Promise<boolean> {
    const deleted = await this.sql.query(`DELETE FROM model_aliases WHERE alias = $1 RETURNING alias`, [alias]);
    return deleted.length > 0;
  }
}
