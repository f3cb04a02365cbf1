/**
 * Events the service publishes (SPEC 'Events Published'), typed once and used by the code that
 * writes them and by the tests that receive them. Each goes out on the Redis channel of its
 * name, in Nest's Redis-transport envelope `{"pattern": <name>, "data": <payload>}`.
 */
export const EventName = {
  RequestCompleted: 'model.request.completed',
  RequestFailed: 'model.request.failed',
  FeedbackReceived: 'model.feedback.received',
} as const;

export type EventName = (typeof EventName)[keyof typeof EventName];

export interface RequestCompletedEvent {
  request_id: string;
  model_id: string;
  user_id?: string;
  project_id?: string;
  task_id?: string;
  task_type?: string;
  timestamp: string;
  metrics: {
    latency_ms: number;
    tokens: { prompt: number; completion: number; total: number };
    cost: number;
    performance: { quality_score: number; confidence: number | null };
  };
}

export interface RequestFailedEvent {
  request_id: string;
  model_id: string;
  error: { code: string; message: string; details: Record<string, unknown> };
  fallback_attempted: boolean;
  fallback_succeeded: boolean;
}

export interface FeedbackReceivedEvent {
  feedback_id: string;
  request_id: string;
  model_id: string;
  task_type?: string;
  timestamp: string;
  feedback: { quality_rating: number | null; success: boolean; has_corrections: boolean };
}

export interface EventPayloads {
  [EventName.RequestCompleted]: RequestCompletedEvent;
  [EventName.RequestFailed]: RequestFailedEvent;
  [EventName.FeedbackReceived]: FeedbackReceivedEvent;
}

export type OutgoingEvent = { [N in EventName]: { name: N; payload: EventPayloads[N] } }[EventName];

/** Nest's Redis-transport envelope, as `ClientProxy.emit` writes it. */
export function envelope(pattern: string, data: unknown): string {
  return JSON.stringify({ pattern, data });
}
