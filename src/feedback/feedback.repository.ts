import { Injectable } from '@nestjs/common';
import { toJsonb } from '../database/jsonb';
import { TransactionQuery } from '../database/sql';

export interface NewFeedback {
  id: string;
  requestId: string;
  userKey: string;
  modelId: string;
  taskType: string;
  qualityRating: number | null;
  success: boolean;
  feedback: string | null;
  corrections: { original?: string; corrected?: string } | null;
  metadata: Record<string, unknown>;
  observationId: string;
  createdAt: Date;
}

/** The request feedback is about, as feedback needs it. */
export interface JudgedRequest {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  modelId: string | null;
  taskType: string;
  /** What the request's observations count under: its task type, or the kind it was routed as (docs/routing.md). */
  scoredAs: string;
  /** The key the request belongs to. */
  clientKey: string | null;
  /** Answered from the response cache. */
  cached: boolean;
}

@Injectable()
export class FeedbackRepository {
  /** Locks the request row for the rest of the transaction, so feedback on one request is applied one at a time. */
  async lockRequest(tx: TransactionQuery, id: string): Promise<JudgedRequest | null> {
    const rows = await tx<{
      id: string;
      status: JudgedRequest['status'];
      model_id: string | null;
      task_type: string;
      inferred_task: string | null;
      client_key: string | null;
      cached: boolean;
    }>(
      `SELECT id, status, model_id, task_type, inferred_task, client_key, cached FROM inference_requests WHERE id = $1 FOR UPDATE`,
      [id],
    );
    const row = rows[0];
    return row
      ? { id: row.id, status: row.status, modelId: row.model_id, taskType: row.task_type, scoredAs: row.inferred_task ?? row.task_type, clientKey: row.client_key, cached: row.cached }
      : null;
  }

  /** The standing feedback of a user on a request, if any. */
  async current(tx: TransactionQuery, requestId: string, userKey: string): Promise<{ id: string; observationId: string } | null> {
    const rows = await tx<{ id: string; observation_id: string }>(
      `SELECT id, observation_id FROM feedback WHERE request_id = $1 AND user_key = $2 AND replaced_by IS NULL`,
      [requestId, userKey],
    );
    return rows[0] ? { id: rows[0].id, observationId: rows[0].observation_id } : null;
  }

  /** Marks earlier feedback replaced (the reference to its replacement is checked at commit). */
  async markReplaced(tx: TransactionQuery, id: string, replacedBy: string): Promise<void> {
    await tx(`UPDATE feedback SET replaced_by = $2 WHERE id = $1`, [id, replacedBy]);
  }

  async insert(tx: TransactionQuery, f: NewFeedback): Promise<void> {
    await tx(
      `INSERT INTO feedback (id, request_id, user_key, model_id, task_type, quality_rating, success, feedback, corrections,
                             metadata, observation_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        f.id,
        f.requestId,
        f.userKey,
        f.modelId,
        f.taskType,
        f.qualityRating,
        f.success,
        f.feedback,
        f.corrections === null ? null : toJsonb(f.corrections),
        toJsonb(f.metadata),
        f.observationId,
        f.createdAt,
      ],
    );
  }
}
