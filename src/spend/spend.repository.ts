import { Injectable } from '@nestjs/common';
import { firstWholeDay, spendSince } from '../access/spend-ledger.repository';
import { Sql } from '../database/sql';
import { SpendGroup, SpendLineView } from './dto/spend.dto';

/** Lines of one answer at most (a group per key, label, model or task type). */
const MAX_LINES = 1000;

/** The grouping expression of each `group_by`, over requests `r` and their key `k`. */
const GROUPS: Record<SpendGroup, string> = {
  key: "nullif(r.client_key, '')",
  team: "k.owner->>'team'",
  project: "k.owner->>'project'",
  user: "k.owner->>'user'",
  model: "nullif(r.model_id, '')",
  task_type: 'r.task_type',
};

/** Spend summed from the ledger (`spendSince`): request rows, their daily roll-ups and embeddings. */
@Injectable()
export class SpendRepository {
  constructor(private readonly sql: Sql) {}

  /** Since `from`, grouped; `clientKey`: only that key's requests. */
  async report(groupBy: SpendGroup, from: Date, clientKey?: string): Promise<SpendLineView[]> {
    const rows = await this.sql.query<SpendLineView & { name: string | null }>(
      `SELECT ${GROUPS[groupBy]} AS "group", ${groupBy === 'key' ? 'min(k.name)' : 'NULL'} AS name,
              sum(r.requests)::int AS requests, sum(r.prompt_tokens)::float8 AS prompt_tokens,
              sum(r.completion_tokens)::float8 AS completion_tokens, sum(r.cost)::float8 AS cost
         FROM ${spendSince(clientKey === undefined ? '' : '= $3')} AS r LEFT JOIN client_keys k ON k.id::text = r.client_key
        GROUP BY 1 ORDER BY cost DESC, 1 LIMIT ${MAX_LINES}`,
      [from.toISOString(), firstWholeDay(from), ...(clientKey === undefined ? [] : [clientKey])],
    );
    return rows.map(({ name, ...line }) => (groupBy === 'key' ? { ...line, name } : line));
  }
}
