import { Column, Entity, PrimaryColumn } from 'typeorm';
import { FailedAttempt } from '../providers/provider-failure';
import type { CompletionView } from './dto/completion.view';

export const REQUEST_KINDS = ['completion', 'chat'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const REQUEST_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface RequestMetadata {
  user_id?: string;
  project_id?: string;
  task_id?: string;
}

/** One completion or chat request: inserted when it starts (or is queued), finalized with its outcome in one transaction. */
@Entity({ name: 'inference_requests' })
export class InferenceRequestEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  kind: RequestKind;

  @Column({ type: 'varchar', length: 16 })
  status: RequestStatus;

  @Column({ name: 'task_type', type: 'varchar', length: 64 })
  taskType: string;

  @Column({ name: 'requested_model_id', type: 'varchar', length: 128, nullable: true })
  requestedModelId: string | null;

  /** The model that answered, or the last one tried. */
  @Column({ name: 'model_id', type: 'varchar', length: 128, nullable: true })
  modelId: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  provider: string | null;

  /** Failed provider calls before the outcome, in order: the fallback trail. */
  @Column({ type: 'jsonb' })
  attempts: FailedAttempt[];

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens: number | null;

  @Column({ name: 'total_tokens', type: 'integer', nullable: true })
  totalTokens: number | null;

  @Column({ type: 'double precision', nullable: true })
  cost: number | null;

  @Column({ name: 'latency_ms', type: 'integer', nullable: true })
  latencyMs: number | null;

  @Column({ name: 'finish_reason', type: 'varchar', length: 32, nullable: true })
  finishReason: string | null;

  @Column({ type: 'jsonb', nullable: true })
  error: { code: string; message: string; details: Record<string, unknown> } | null;

  /** The body the caller received (SPEC completion response), for later reads of the request. */
  @Column({ type: 'jsonb', nullable: true })
  response: CompletionView | null;

  @Column({ type: 'jsonb' })
  metadata: RequestMetadata;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  /** The instance running the request (its lease: see InstanceLease); null while queued. */
  @Column({ name: 'instance_id', type: 'uuid', nullable: true })
  instanceId: string | null;
}
