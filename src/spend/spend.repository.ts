import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { SpendGroup, SpendLineView } from './dto/spend.dto';

/** Lines of one answer at most (a group per key, label, model or task type). */
const MAX_LINES = 1000;

/** The grouping expression of each `group_by`, over requests `r` and their key `k`. */
const GROUPS: Record<SpendGroup, string> = {
  key: 'r.client_key',
  team: "k.owner->>'team'",
  project: "k.owner->>'project'",
  user: "k.owner->>'user'",
  model: 'r.model_id',
  task_type: 'r.task_type',
};

/** Spend summed from the recorded requests (each with the cost it answered with). */
@Injectable()
export class SpendRepository {
  constructor(private readonly sql: Sql) {}

  /** Since `from`, grouped; `clientKey`: only that key's requests. */
  async report(groupBy: SpendGroup, from: Date, clientKey?: string): Promise<SpendLineView[]> {
    const rows = await this.sql.query<SpendLineView & { name: string | null }>(
      `SELECT ${GROUPS[groupBy]} AS "group", ${groupBy === 'key' ? 'min(k.name)' : 'NULL'} AS name,
              count(*)::int AS requests, coalesce(sum(r.prompt_tokens), 0)::int AS prompt_tokens,
              coalesce(sum(r.completion_tokens), 0)::int AS completion_tokens, sum(r.cost)::float8 AS cost
         FROM inference_requests r LEFT JOIN client_keys k ON k.id::text = r.client_key
        WHERE r.created_at >= $1 AND r.cost IS NOT NULL${clientKey === undefined ? '' : ' AND r.client_key = $2'}
        GROUP BY 1 ORDER BY cost DESC, 1 LIMIT ${MAX_LINES}`,
      clientKey === undefined ? [from] : [from, clientKey],
    );
    return rows.map(({ name, ...line }) => (groupBy === 'key' ? { ...line, name } : line));
  }
}
