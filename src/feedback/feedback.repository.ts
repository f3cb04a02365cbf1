import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

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

@Injectable()
export class FeedbackRepository {
  /** The standing feedback of a user on a request, if any. */
  async current(manager: EntityManager, requestId: string, userKey: string): Promise<{ id: string; observationId: string } | null> {
    const rows: { id: string; observation_id: string }[] = await manager.query(
      `SELECT id, observation_id FROM feedback WHERE request_id = $1 AND user_key = $2 AND replaced_by IS NULL`,
      [requestId, userKey],
    );
    return rows[0] ? { id: rows[0].id, observationId: rows[0].observation_id } : null;
  }

  /** Marks earlier feedback replaced (the reference to its replacement is checked at commit). */
  async markReplaced(manager: EntityManager, id: string, replacedBy: string): Promise<void> {
    await manager.query(`UPDATE feedback SET replaced_by = $2 WHERE id = $1`, [id, replacedBy]);
  }

  async insert(manager: EntityManager, f: NewFeedback): Promise<void> {
    await manager.query(
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
        f.corrections === null ? null : JSON.stringify(f.corrections),
        JSON.stringify(f.metadata),
        f.observationId,
        f.createdAt,
      ],
    );
  }
}
