/** Every metric name the service exports (default Node.js process metrics aside): one place, one prefix. */
export const MetricName = {
  Requests: 'mos_requests_total',
  RequestDuration: 'mos_request_duration_seconds',
  GatewayOverhead: 'mos_gateway_overhead_seconds',
  Tokens: 'mos_tokens_total',
  EstimatedCost: 'mos_estimated_cost_usd_total',
  KeyRequests: 'mos_key_requests_total',
  KeyCost: 'mos_key_cost_usd_total',
  ProviderFailures: 'mos_provider_failures_total',
  Fallbacks: 'mos_fallbacks_total',
  Cancellations: 'mos_cancellations_total',
  EmbeddingRequests: 'mos_embedding_requests_total',
  ResponseCache: 'mos_response_cache_total',
  CircuitState: 'mos_circuit_state',
  CircuitConsecutiveFailures: 'mos_circuit_consecutive_failures',
  OutboxBacklog: 'mos_outbox_backlog',
  OutboxOldestPendingAge: 'mos_outbox_oldest_pending_age_seconds',
  QueueJobs: 'mos_queue_jobs',
  CollectorUp: 'mos_metrics_collector_up',
} as const;

/** The `model` and `provider` label value of a request that no provider was called for. */
export const NO_MODEL = 'none';

/** Whole-request latency: from a few milliseconds to a slow generation. */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

/** What the gateway adds: fine enough to tell 0.5 ms from 1 ms, wide enough for a stalled database. */
export const OVERHEAD_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
