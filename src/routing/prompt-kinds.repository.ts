import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { Kind, merge } from './prompt-kinds';

/** What an instance added to a kind since it last wrote it. */
export type KindDelta = Kind;

interface KindRecord {
  id: number;
  sum: number[];
  count: string;
  words: Record<string, number>;
}

/**
 * The learned kinds (`prompt_kinds`), shared by every instance. Instances add what they learned
 * as deltas (sums only grow, so deltas from several instances commute), under a row lock.
 */
@Injectable()
export class PromptKindsRepository {
  constructor(private readonly sql: Sql) {}

  async all(): Promise<Kind[]> {
    const rows = await this.sql.query<KindRecord>(`SELECT id, sum, count, words FROM prompt_kinds ORDER BY id`);
    return rows.map(fromRecord);
  }

  /**
   * Starts a kind from its first prompt in the lowest free id below `maxKinds`; null when there
   * is none, or another instance took that id at the same moment (the caller reloads and joins
   * the nearest kind instead).
   */
  async create(first: KindDelta, maxKinds: number): Promise<number | null> {
    const rows = await this.sql.query<{ id: number }>(
      `INSERT INTO prompt_kinds (id, sum, count, words)
       SELECT s.id, $1::real[], $2, $3::jsonb FROM generate_series(0, $4 - 1) AS s(id)
        WHERE NOT EXISTS (SELECT FROM prompt_kinds k WHERE k.id = s.id)
        ORDER BY s.id LIMIT 1
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [Array.from(first.sum), first.count, JSON.stringify(Object.fromEntries(first.words)), maxKinds],
    );
    return rows[0]?.id ?? null;
  }

  /** Adds deltas to their kinds in one transaction (a kind reset meanwhile is skipped). */
  async add(deltas: KindDelta[]): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const ids = deltas.map((d) => d.id);
      const rows = await tx<KindRecord>(`SELECT id, sum, count, words FROM prompt_kinds WHERE id = ANY($1::smallint[]) ORDER BY id FOR UPDATE`, [ids]);
      for (const row of rows.map(fromRecord)) {
        merge(row, deltas.find((d) => d.id === row.id)!);
        await tx(`UPDATE prompt_kinds SET sum = $2::real[], count = $3, words = $4::jsonb, updated_at = now() WHERE id = $1`, [
          row.id,
          Array.from(row.sum),
          row.count,
          JSON.stringify(Object.fromEntries(row.words)),
        ]);
      }
    });
  }
}

function fromRecord(row: KindRecord): Kind {
  return { id: row.id, sum: Float32Array.from(row.sum), count: Number(row.count), words: new Map(Object.entries(row.words)) };
}
