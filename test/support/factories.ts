import { Sql } from '../../src/database/sql';
import { PerformanceService } from '../../src/performance/performance.service';
import { request } from './http';
import { ADMIN_TOKEN, TestApp } from './test-app';

export interface ModelSpec {
  model_id: string;
  provider: 'openai' | 'anthropic' | 'ollama' | 'local';
  capabilities: string[];
  api_url?: string;
  api_key?: string;
  options?: Record<string, unknown>;
  quality?: number;
  task_specific?: Record<string, number>;
  context_length?: number;
  token_limit?: number;
  pricing?: { input: number; output: number; cached_input?: number; cache_write?: number };
}

/** Registers a model through the admin endpoint, as an operator would. */
export function registerModel(service: TestApp, spec: ModelSpec): Promise<void> {
  return registerModelAt(service.baseUrl, spec);
}

/** The same against any running instance, e.g. one started as a separate process. */
export async function registerModelAt(baseUrl: string, spec: ModelSpec): Promise<void> {
  const { status, body } = await request(baseUrl, 'POST', '/api/admin/models', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: {
      model_id: spec.model_id,
      provider: spec.provider,
      capabilities: spec.capabilities,
      performance_baseline: { quality_score: spec.quality ?? 0.5, task_specific: spec.task_specific ?? {} },
      configuration: { api_url: spec.api_url, api_key: spec.api_key, options: spec.options ?? {} },
      properties: {
        context_length: spec.context_length ?? 16000,
        token_limit: spec.token_limit ?? 4000,
        pricing: spec.pricing ?? { input: 0, output: 0 },
      },
    },
  });
  if (status !== 200) throw new Error(`registering ${spec.model_id} failed: ${status} ${JSON.stringify(body)}`);
}

export interface ObservationSpec {
  modelId: string;
  taskType: string;
  success: boolean;
  quality: number | null;
  /** How long ago it was observed. */
  agoMs: number;
  source?: 'automatic' | 'user';
}

/** Records observations through the app's own write path, as finished requests and feedback would. */
export async function recordObservations(service: TestApp, specs: ObservationSpec[]): Promise<void> {
  const performance = service.app.get(PerformanceService);
  const now = Date.now();
  const observations = specs.map((o) => ({
    modelId: o.modelId,
    taskType: o.taskType,
    source: o.source ?? ('automatic' as const),
    requestId: null,
    success: o.success,
    quality: o.quality,
    weight: o.source === 'user' ? service.config.performance.feedbackWeight : 1,
    observedAt: new Date(now - o.agoMs),
  }));
  const { scores } = await service.app.get(Sql).transaction((tx) => performance.record(tx, observations));
  performance.committed(scores);
}
