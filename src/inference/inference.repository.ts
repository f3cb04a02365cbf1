import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { toJsonb } from '../database/jsonb';
import { GroupCommit } from '../database/group-commit';
import { Sql, SqlStep } from '../database/sql';
import { InferenceRequest } from './inference-request';

export type RunningRequest = Pick<InferenceRequest, 'id' | 'kind' | 'taskType' | 'inferredTask' | 'requestedModelId' | 'metadata' | 'createdAt' | 'clientKey'>;
export type RequestOutcome = Omit<InferenceRequest, 'kind' | 'taskType' | 'inferredTask' | 'requestedModelId' | 'metadata' | 'createdAt' | 'instanceId' | 'clientKey'>;
/** What the reclaimer needs of a request left behind, to finalize it and publish its event. */
export type OrphanedRequest = Pick<InferenceRequest, 'id' | 'taskType' | 'requestedModelId' | 'instanceId'>;

@Injectable()
export class InferenceRepository {
  /**
   * Running rows of requests starting together are inserted together (a group commit), without
   * waiting for the disk: the outcome's durable write flushes them.
   */
  private readonly runningRows = new GroupCommit<RunningRow, boolean>((rows) => this.insertRunning(rows), { key: (row) => row.request.id });

  constructor(private readonly sql: Sql) {}

  /**
   * Records a request as running (on the instance `instanceId`) or queued (null: no instance has it
   * yet); a caller-chosen id already in use is a 409. A queued row is flushed to disk before this
   * returns, since the caller is answered 202 on the strength of it.
   */
  async insert(request: RunningRequest, status: 'running' | 'queued', instanceId: string | null): Promise<void> {
    const inserted =
      status === 'running'
        ? await this.runningRows.submit({ request, instanceId })
        : (await this.sql.query(INSERT_REQUESTS, [toJsonb([recordOf(request, status, instanceId)])])).length === 1;
    if (!inserted) throw new DomainError(ErrorCode.Conflict, `Request id "${request.id}" is already in use`, { request_id: request.id });
  }

  /** Inserts running rows; true for each one inserted, false where its id was taken. */
  private async insertRunning(rows: RunningRow[]): Promise<boolean[]> {
    const inserted = await this.sql.queryUnflushed<{ id: string }>(INSERT_REQUESTS, [
      toJsonb(rows.map(({ request, instanceId }) => recordOf(request, 'running', instanceId))),
    ]);
    const ids = new Set(inserted.map((r) => r.id));
    return rows.map(({ request }) => ids.has(request.id));
  }

  /**
   * The statement that writes the outcomes of requests, each only while its row is still `from`
   * (running, or queued for one cancelled before it ran), returning the ids it wrote: the guard of
   * an atomic write with the requests' events and observations (`Sql.writtenFor`), so an outcome is
   * written once, by whoever gets there first. At most one outcome per request.
   */
  finalizeStep(outcomes: { outcome: RequestOutcome; from: 'running' | 'queued' }[]): SqlStep {
    return {
      sql: `UPDATE inference_requests r
               SET status = x.status, model_id = x.model_id, provider = x.provider, attempts = x.attempts, prompt_tokens = x.prompt_tokens,
                   completion_tokens = x.completion_tokens, total_tokens = x.total_tokens, cost = x.cost, latency_ms = x.latency_ms,
                   finish_reason = x.finish_reason, error = x.error, response = x.response, completed_at = x.completed_at, cached = x.cached
              FROM jsonb_to_recordset($1::jsonb) AS x(id text, from_status text, status text, model_id text, provider text, attempts jsonb,
                   prompt_tokens int, completion_tokens int, total_tokens int, cost float8, latency_ms int, finish_reason text, error jsonb,
                   response jsonb, completed_at timestamptz, cached boolean)
             WHERE r.id = x.id AND r.status = x.from_status
         RETURNING r.id`,
      params: [
        toJsonb(
          outcomes.map(({ outcome, from }) => ({
            id: outcome.id,
            from_status: from,
            status: outcome.status,
            model_id: outcome.modelId,
            provider: outcome.provider,
            attempts: outcome.attempts,
            prompt_tokens: outcome.promptTokens,
            completion_tokens: outcome.completionTokens,
            total_tokens: outcome.totalTokens,
            cost: outcome.cost,
            latency_ms: outcome.latencyMs,
            finish_reason: outcome.finishReason,
            error: outcome.error,
            response: outcome.response,
            completed_at: outcome.completedAt,
            cached: outcome.cached,
          })),
        ),
      ],
    };
  }

  /** Starts a queued request on the instance `instanceId` if it is still queued; false when something else (another worker, a cancel) took it first. */
  async claimQueued(id: string, instanceId: string): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE inference_requests SET status = 'running', instance_id = $2 WHERE id = $1 AND status = 'queued' RETURNING id`,
      [id, instanceId],
    );
    return rows.length === 1;
  }

  /** Forgets a queued request the queue never took (the caller was told so). */
  async deleteQueued(id: string): Promise<void> {
    await this.sql.query(`DELETE FROM inference_requests WHERE id = $1 AND status = 'queued'`, [id]);
  }

  /**
   * Running requests whose instance no longer holds a lease (renewed within `leaseMs`), oldest
   * first. A row without an instance predates leases: it counts as left behind once older than
   * `ownerlessAfterMs`, longer than any request may run.
   */
  async findOrphanedRunning(leaseMs: number, ownerlessAfterMs: number, limit: number): Promise<OrphanedRequest[]> {
    const rows: OrphanRecord[] = await this.sql.query(
      `SELECT r.id, r.task_type, r.requested_model_id, r.instance_id FROM inference_requests r
        WHERE r.status = 'running'
          AND (r.instance_id IS NOT NULL OR r.created_at < now() - make_interval(secs => $2))
          AND NOT EXISTS (SELECT 1 FROM service_instances i
                           WHERE i.id = r.instance_id AND i.heartbeat_at > now() - make_interval(secs => $1))
        ORDER BY r.created_at LIMIT $3`,
      [leaseMs / 1000, ownerlessAfterMs / 1000, limit],
    );
    return rows.map(fromOrphanRecord);
  }

  /** Those of the given requests that are still running. */
  async findRunning(ids: string[]): Promise<OrphanedRequest[]> {
    const rows: OrphanRecord[] = await this.sql.query(
      `SELECT id, task_type, requested_model_id, instance_id FROM inference_requests WHERE id = ANY($1) AND status = 'running'`,
      [ids],
    );
    return rows.map(fromOrphanRecord);
  }

  /** Queued requests older than `olderThanMs`, oldest first: the reclaimer checks that their jobs still exist. */
  async findLongQueued(olderThanMs: number, limit: number): Promise<OrphanedRequest[]> {
    const rows: OrphanRecord[] = await this.sql.query(
      `SELECT id, task_type, requested_model_id, instance_id FROM inference_requests
        WHERE status = 'queued' AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at LIMIT $2`,
      [olderThanMs / 1000, limit],
    );
    return rows.map(fromOrphanRecord);
  }

  /** Puts a failed asynchronous request back in the queue for another try. */
  async requeue(id: string): Promise<void> {
    await this.sql.query(`UPDATE inference_requests SET status = 'queued', completed_at = NULL, instance_id = NULL WHERE id = $1 AND status = 'failed'`, [id]);
  }

  async findById(id: string): Promise<InferenceRequest | null> {
    const [row] = await this.sql.query<RequestRecord>(`SELECT ${REQUEST_COLUMNS} FROM inference_requests WHERE id = $1`, [id]);
    return row ? fromRequestRecord(row) : null;
  }

  /**
   * The newest requests that failed (`failed`) or completed after a fallback (`fallback`: a
   * non-empty fallback trail), or both; served by `inference_requests_failures_fallbacks_idx`.
   * `clientKey`: only that key's requests (undefined: everyone's).
   */
  async findRecentFailuresAndFallbacks(outcome: RecentOutcome | undefined, limit: number, clientKey?: string): Promise<FailureOrFallback[]> {
    const rows = await this.sql.query<RequestRecord>(
      `SELECT ${REQUEST_COLUMNS} FROM inference_requests
        WHERE ${RECENT_OUTCOME_FILTERS[outcome ?? 'any']}${clientKey === undefined ? '' : ' AND client_key = $2'}
        ORDER BY created_at DESC, id DESC
        LIMIT $1`,
      clientKey === undefined ? [limit] : [limit, clientKey],
    );
    return rows.map(fromRequestRecord);
  }
}

interface RunningRow {
  request: RunningRequest;
  instanceId: string | null;
}

/** Inserts the rows of a jsonb array of `recordOf` records, returning the ids inserted (not those already taken). */
const INSERT_REQUESTS = `INSERT INTO inference_requests (id, kind, status, task_type, requested_model_id, metadata, created_at, instance_id, client_key, inferred_task)
  SELECT x.id, x.kind, x.status, x.task_type, x.requested_model_id, x.metadata, x.created_at, x.instance_id, x.client_key, x.inferred_task
    FROM jsonb_to_recordset($1::jsonb) AS x(id text, kind text, status text, task_type text, requested_model_id text, metadata jsonb,
         created_at timestamptz, instance_id uuid, client_key text, inferred_task text)
  ON CONFLICT (id) DO NOTHING RETURNING id`;

function recordOf(request: RunningRequest, status: 'running' | 'queued', instanceId: string | null) {
  return {
    id: request.id,
    kind: request.kind,
    status,
    task_type: request.taskType,
    requested_model_id: request.requestedModelId,
    metadata: request.metadata,
    created_at: request.createdAt,
    instance_id: instanceId,
    client_key: request.clientKey,
    inferred_task: request.inferredTask,
  };
}

const REQUEST_COLUMNS = `id, kind, status, task_type, inferred_task, requested_model_id, model_id, provider, attempts, prompt_tokens, completion_tokens,
  total_tokens, cost, latency_ms, finish_reason, error, response, cached, metadata, created_at, completed_at, instance_id, client_key`;

interface RequestRecord {
  id: string;
  kind: InferenceRequest['kind'];
  status: InferenceRequest['status'];
  task_type: string;
  inferred_task: string | null;
  requested_model_id: string | null;
  model_id: string | null;
  provider: string | null;
  attempts: InferenceRequest['attempts'];
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  cost: number | null;
  latency_ms: number | null;
  finish_reason: string | null;
  error: InferenceRequest['error'];
  response: InferenceRequest['response'];
  cached: boolean;
  metadata: InferenceRequest['metadata'];
  created_at: Date;
  completed_at: Date | null;
  instance_id: string | null;
  client_key: string | null;
}

function fromRequestRecord(r: RequestRecord): InferenceRequest {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    taskType: r.task_type,
    inferredTask: r.inferred_task,
    requestedModelId: r.requested_model_id,
    modelId: r.model_id,
    provider: r.provider,
    attempts: r.attempts,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    totalTokens: r.total_tokens,
    cost: r.cost,
    latencyMs: r.latency_ms,
    finishReason: r.finish_reason,
    error: r.error,
    response: r.response,
    cached: r.cached,
    metadata: r.metadata,
    createdAt: r.created_at,
    completedAt: r.completed_at,
    instanceId: r.instance_id,
    clientKey: r.client_key,
  };
}

interface OrphanRecord {
  id: string;
  task_type: string;
  requested_model_id: string | null;
  instance_id: string | null;
}

function fromOrphanRecord(row: OrphanRecord): OrphanedRequest {
  return { id: row.id, taskType: row.task_type, requestedModelId: row.requested_model_id, instanceId: row.instance_id };
}

export const RECENT_OUTCOMES = ['failed', 'fallback'] as const;
export type RecentOutcome = (typeof RECENT_OUTCOMES)[number];

export type FailureOrFallback = Pick<
  InferenceRequest,
  'id' | 'status' | 'taskType' | 'requestedModelId' | 'modelId' | 'provider' | 'attempts' | 'error' | 'createdAt' | 'completedAt'
>;

/** Each implies the predicate of the partial index `inference_requests_failures_fallbacks_idx` (the `any` one is it). */
const RECENT_OUTCOME_FILTERS: Record<RecentOutcome | 'any', string> = {
  failed: `status = 'failed'`,
  fallback: `status = 'completed' AND attempts <> '[]'::jsonb`,
  any: `(status = 'failed' OR (status = 'completed' AND attempts <> '[]'::jsonb))`,
};
