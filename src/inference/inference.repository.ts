import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { InferenceRequestEntity } from './inference-request.entity';

export type RunningRequest = Pick<InferenceRequestEntity, 'id' | 'kind' | 'taskType' | 'requestedModelId' | 'metadata' | 'createdAt'>;
export type RequestOutcome = Omit<InferenceRequestEntity, 'kind' | 'taskType' | 'requestedModelId' | 'metadata' | 'createdAt'>;

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class InferenceRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records a request as running or queued; a caller-chosen id already in use is a 409. */
  async insert(request: RunningRequest, status: 'running' | 'queued'): Promise<void> {
    try {
      await this.dataSource.query(
        `INSERT INTO inference_requests (id, kind, status, task_type, requested_model_id, metadata, created_at)
         VALUES ($1, $2, $7, $3, $4, $5, $6)`,
        [request.id, request.kind, request.taskType, request.requestedModelId, request.metadata, request.createdAt, status],
      );
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new DomainError(ErrorCode.Conflict, `Request id "${request.id}" is already in use`, { request_id: request.id });
      }
      throw error;
    }
  }

  /** Writes the outcome; runs inside the caller's transaction with the request's events. */
  async finalize(manager: EntityManager, outcome: RequestOutcome): Promise<void> {
    await manager.query(
      `UPDATE inference_requests SET status = $2, model_id = $3, provider = $4, attempts = $5, prompt_tokens = $6,
              completion_tokens = $7, total_tokens = $8, cost = $9, latency_ms = $10, finish_reason = $11, error = $12,
              response = $13, completed_at = $14
        WHERE id = $1`,
      [
        outcome.id,
        outcome.status,
        outcome.modelId,
        outcome.provider,
        JSON.stringify(outcome.attempts),
        outcome.promptTokens,
        outcome.completionTokens,
        outcome.totalTokens,
        outcome.cost,
        outcome.latencyMs,
        outcome.finishReason,
        outcome.error === null ? null : JSON.stringify(outcome.error),
        outcome.response === null ? null : JSON.stringify(outcome.response),
        outcome.completedAt,
      ],
    );
  }

  /**
   * Moves a queued request to `to` if it is still queued; false when something else (a worker,
   * or a cancel) took it first. Runs in the caller's transaction when given one.
   */
  async claimQueued(id: string, to: 'running' | 'cancelled', manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    // Wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count] instead of rows.
    const rows: unknown[] = await manager.query(
      `WITH claimed AS (UPDATE inference_requests SET status = $2 WHERE id = $1 AND status = 'queued' RETURNING id)
       SELECT id FROM claimed`,
      [id, to],
    );
    return rows.length === 1;
  }

  /** Puts a failed asynchronous request back in the queue for another try. */
  async requeue(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE inference_requests SET status = 'queued', completed_at = NULL WHERE id = $1 AND status = 'failed'`, [id]);
  }

  /** Locks the request row for the rest of the caller's transaction, so feedback on one request is applied one at a time. */
  async lock(manager: EntityManager, id: string): Promise<Pick<InferenceRequestEntity, 'id' | 'status' | 'modelId' | 'taskType'> | null> {
    const rows: { id: string; status: InferenceRequestEntity['status']; model_id: string | null; task_type: string }[] = await manager.query(
      `SELECT id, status, model_id, task_type FROM inference_requests WHERE id = $1 FOR UPDATE`,
      [id],
    );
    const row = rows[0];
    return row ? { id: row.id, status: row.status, modelId: row.model_id, taskType: row.task_type } : null;
  }

  findById(id: string): Promise<InferenceRequestEntity | null> {
    return this.dataSource.getRepository(InferenceRequestEntity).findOneBy({ id });
  }
}
