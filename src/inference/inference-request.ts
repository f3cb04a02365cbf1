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

/** One completion or chat request: inserted when it starts (or is queued), finalized with its outcome in one statement. */
export interface InferenceRequest {
  id: string;
  kind: RequestKind;
  status: RequestStatus;
  taskType: string;
  /** The kind a request without task type was routed and learned as (e.g. `kind-07`); null otherwise. */
  inferredTask: string | null;
  requestedModelId: string | null;
  /** The model that answered, or the last one tried. */
  modelId: string | null;
  provider: string | null;
  /** Failed provider calls before the outcome, in order: the fallback trail. */
  attempts: FailedAttempt[];
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  cost: number | null;
  latencyMs: number | null;
  finishReason: string | null;
  error: { code: string; message: string; details: Record<string, unknown> } | null;
  /** The body the caller received (SPEC completion response), for later reads of the request. */
  response: CompletionView | null;
  /** Answered from the response cache: no provider was called, it cost nothing and is no performance observation. */
  cached: boolean;
  metadata: RequestMetadata;
  createdAt: Date;
  completedAt: Date | null;
  /** The instance running the request (its lease: see InstanceLease); null while queued. */
  instanceId: string | null;
  /** The client key the request belongs to (its id, never its secret); null when sent without one. */
  clientKey: string | null;
}
