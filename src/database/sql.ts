import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { Pool, QueryConfig } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { surviveConnectionErrors } from './pool-errors';

/** A query on the connection of a `Sql.transaction`. */
export type TransactionQuery = <R>(sql: string, params?: unknown[]) => Promise<R[]>;

/** One data-changing statement of a larger write, with its own `$1..$n` placeholders. */
export interface SqlStep {
  sql: string;
  params: unknown[];
}

/**
 * In a step of `Sql.writtenFor`, the ids of the rows its guard changed: a step writes only for
 * those, e.g. `WHERE e->>'owner' IN (SELECT id FROM step_0)`.
 */
export const GUARDED_IDS = '(SELECT id FROM step_0)';

/**
 * Joins steps into one statement of data-modifying CTEs: they see one snapshot and commit
 * together, in a single round trip and without BEGIN/COMMIT. Each step's placeholders are
 * renumbered after those of the steps before it; `select` is the statement's own query.
 */
export function combineSteps(steps: SqlStep[], select = 'SELECT 1'): SqlStep {
  const params: unknown[] = [];
  const parts = steps.map((step, index) => {
    const offset = params.length;
    params.push(...step.params);
    const sql = step.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    return `step_${index} AS (${sql})`;
  });
  return { sql: `WITH ${parts.join(',\n')}\n${select}`, params };
}

/**
 * A named statement: each connection parses and plans it once, then only binds parameters (the
 * request path runs the same few statements all the time). The name is derived from the text.
 */
function prepared(text: string, values: unknown[]): QueryConfig {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `mos_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    preparedNames.set(text, name);
  }
  return { name, text, values };
}
const preparedNames = new Map<string, string>();

/**
 * How repositories reach Postgres (the one way to write; docs/architecture.md): node-postgres
 * directly on the app's pool, without the query runner TypeORM builds around every query (a third
 * of the gateway's CPU per request when profiled). A statement (`query`); a multi-table write as
 * steps of one statement (`writtenFor`), each step owned by the repository of its table; or,
 * where a step needs what an earlier one read, a transaction whose query function repositories
 * take (`transaction`). TypeORM itself keeps the migrations and the model registry's plain CRUD.
 */
@Injectable()
export class Sql implements OnApplicationShutdown {
  private readonly pool: Pool;
  /** Connections whose commits return before the WAL reaches the disk (`synchronous_commit = off`). */
  private readonly unflushedPool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource, @InjectConfig() config: AppConfig) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
    this.unflushedPool = new Pool({
      connectionString: config.databaseUrl,
      max: Math.ceil(config.databasePoolSize / 2),
      connectionTimeoutMillis: config.databaseConnectTimeoutMs,
      keepAlive: true,
      options: `-c synchronous_commit=off -c statement_timeout=${config.databaseStatementTimeoutMs}`,
    });
    surviveConnectionErrors(this.pool, 'pool');
    surviveConnectionErrors(this.unflushedPool, 'unflushed pool');
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(prepared(sql, params))).rows as T[];
  }

  /**
   * For a write that may vanish if Postgres itself crashes in the next few hundred milliseconds,
   * because a later durable write depends on it: a commit here does not wait for the disk, and any
   * later ordinary commit flushes the WAL up to and including it. (A request's `running` row: its
   * outcome is written durably before anyone is answered, so an answered request never lacks it.)
   */
  async queryUnflushed<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.unflushedPool.query(prepared(sql, params))).rows as T[];
  }

  /**
   * Runs `work` in a transaction on one connection (rolled back when it throws). `unflushed`: its
   * commit does not wait for the disk, for writes that may be redone after a Postgres crash.
   */
  async transaction<T>(work: (query: TransactionQuery) => Promise<T>, { unflushed = false } = {}): Promise<T> {
    const client = await (unflushed ? this.unflushedPool : this.pool).connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(async <R>(sql: string, params: unknown[] = []) => (await client.query(prepared(sql, params))).rows as R[]);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackFailed: Error) => (broken = rollbackFailed));
      throw error;
    } finally {
      // A connection that could not even roll back is closed instead of going back to the pool.
      client.release(broken);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.unflushedPool.end();
  }

  /**
   * Runs `guard` (a step with RETURNING `id`) and `steps` in one statement: they commit together
   * or not at all. `guard` changes the rows of one or many writes, e.g. "the request is still
   * running", and `steps` write only for the rows it changed (filtering on `GUARDED_IDS`); resolves
   * to those rows' ids. So two writers racing to finalize one row cannot both write their events.
   */
  async writtenFor(guard: SqlStep, steps: SqlStep[]): Promise<Set<string>> {
    const { sql, params } = combineSteps([guard, ...steps], 'SELECT id FROM step_0');
    const { rows } = await this.pool.query<{ id: string }>(prepared(sql, params));
    return new Set(rows.map((r) => r.id));
  }
}
