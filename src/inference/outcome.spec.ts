import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { EventName } from '../events/event-contracts';
import { ProviderErrorCode } from '../providers/provider-error';
import { FailedAttempt } from '../providers/provider-failure';
import { GenerationResult } from '../providers/provider.types';
import { answeredOutcome, cancelledWhileQueuedOutcome, failedOutcome, interruptedOutcome, rejectedOutcome, RequestFacts } from './outcome';

const facts: RequestFacts = { requestId: 'req-1', taskType: 'code_generation', inferredTask: null, requestedModelId: 'gpt-x', metadata: { user_id: 'u-7' } };
const now = new Date('2026-12-04T10:00:00.000Z');
const timing = { createdAt: new Date('2026-12-04T09:59:59.000Z'), latencyMs: 1000, now };

const attempt = (model: string, retryable = true): FailedAttempt => ({
  model_id: model,
  provider: 'openai',
  error: { code: retryable ? ProviderErrorCode.ServerError : ProviderErrorCode.BadRequest, message: 'boom', retryable, status: retryable ? 503 : 400 },
});

const result = (overrides: Partial<GenerationResult> = {}): GenerationResult => ({
  content: 'def add(a, b): return a + b',
  toolCalls: [],
  finishReason: 'stop',
  usage: { promptTokens: 10, completionTokens: 5 },
  confidence: 0.9,
  modelSpecific: { system_fingerprint: 'fp' },
  ...overrides,
});

const answer = (overrides: Partial<GenerationResult> = {}) => ({
  model: { id: 'gpt-y', provider: 'openai' },
  scores: { quality: 0.8, successRate: 0.95 },
  result: result(overrides),
  usage: { prompt: 10, completion: 5 },
  cost: 0.002,
});

describe('request outcomes', () => {
  it('an answer after a fallback: the SPEC body, a failed event per failed call and a completed event, an observation for each model', () => {
    const outcome = answeredOutcome(facts, answer(), [attempt('gpt-x')], timing);

    expect(outcome).toMatchObject({ status: 'completed', model: { id: 'gpt-y' }, finishReason: 'stop', error: null, latencyMs: 1000 });
    expect(outcome.response).toEqual({
      completion_id: 'req-1',
      created_at: '2026-12-04T09:59:59.000Z',
      model: { id: 'gpt-y', provider: 'openai' },
      content: 'def add(a, b): return a + b',
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, estimated_cost: 0.002 },
      performance: { quality_score: 0.8, success_rate: 0.95, confidence: 0.9 },
      metadata: { finish_reason: 'stop', model_specific: { system_fingerprint: 'fp' }, task_type: 'code_generation', failed_attempts: [attempt('gpt-x')] },
    });
    expect(outcome.events.map((e) => e.name)).toEqual([EventName.RequestFailed, EventName.RequestCompleted]);
    expect(outcome.events[0].payload).toMatchObject({ request_id: 'req-1', model_id: 'gpt-x', fallback_attempted: true, fallback_succeeded: true });
    expect(outcome.events[1].payload).toEqual({
      request_id: 'req-1',
      model_id: 'gpt-y',
      user_id: 'u-7',
      task_type: 'code_generation',
      timestamp: now.toISOString(),
      metrics: { latency_ms: 1000, tokens: { prompt: 10, completion: 5, total: 15 }, cost: 0.002, performance: { quality_score: 0.8, confidence: 0.9 } },
    });
    expect(outcome.observations.map((o) => [o.modelId, o.success, o.quality])).toEqual([
      ['gpt-x', false, null],
      ['gpt-y', true, null],
    ]);
  });

  it('a cancelled answer: cancelled, a failed event with code cancelled, no observation for the model that was cut off', () => {
    const outcome = answeredOutcome(facts, answer({ finishReason: 'cancelled', content: 'def' }), [], timing);
    expect(outcome.status).toBe('cancelled');
    expect(outcome.response.content).toBe('def');
    expect(outcome.events).toEqual([
      {
        name: EventName.RequestFailed,
        payload: { request_id: 'req-1', model_id: 'gpt-y', error: { code: 'cancelled', message: 'Request was cancelled', details: {} }, fallback_attempted: false, fallback_succeeded: false },
      },
    ]);
    expect(outcome.observations).toEqual([]);
  });

  it('every call failed: 503 listing the attempts, the last model tried on the row, one failed event per call', () => {
    const { outcome, error } = failedOutcome(facts, [attempt('gpt-x'), attempt('gpt-y')], 250, now);
    expect(error.code).toBe(ErrorCode.NoModelAvailable);
    expect(error.details).toMatchObject({ request_id: 'req-1', attempts: [attempt('gpt-x'), attempt('gpt-y')] });
    expect(outcome).toMatchObject({ status: 'failed', model: { id: 'gpt-y', provider: 'openai' }, error: error.toBody().error, latencyMs: 250 });
    expect(outcome.events.map((e) => [e.payload.model_id, 'fallback_attempted' in e.payload && e.payload.fallback_attempted])).toEqual([
      ['gpt-x', true],
      ['gpt-y', false],
    ]);
    expect(outcome.observations.every((o) => !o.success)).toBe(true);
  });

  it('a provider that refused the request: 502 provider_error', () => {
    expect(failedOutcome(facts, [attempt('gpt-x', false)], 10, now).error.code).toBe(ErrorCode.ProviderError);
  });

  it('routing refused a queued request when it ran, or it was cancelled while queued: no model, one failed event', () => {
    const rejected = rejectedOutcome(facts, new DomainError(ErrorCode.NoModelAvailable, 'none left'), 5);
    expect(rejected).toMatchObject({ status: 'failed', model: null, error: { code: 'no_model_available', details: { request_id: 'req-1' } } });
    expect(rejected.events.map((e) => e.payload.model_id)).toEqual(['gpt-x']);

    const cancelled = cancelledWhileQueuedOutcome(facts);
    expect(cancelled).toMatchObject({ status: 'cancelled', finishReason: 'cancelled', latencyMs: null, observations: [] });
    expect(cancelled.events[0].payload).toMatchObject({ error: { code: 'cancelled' } });
  });

  it('an interrupted request: failed with code interrupted, naming the instance, blaming no model', () => {
    const outcome = interruptedOutcome({ ...facts, requestedModelId: null }, 'the instance running it stopped', 'instance-9');
    expect(outcome).toMatchObject({
      status: 'failed',
      model: null,
      error: { code: 'interrupted', message: 'Request was interrupted: the instance running it stopped', details: { request_id: 'req-1', instance_id: 'instance-9' } },
      observations: [],
    });
    expect(outcome.events).toEqual([
      { name: EventName.RequestFailed, payload: expect.objectContaining({ request_id: 'req-1', model_id: '', fallback_attempted: false, fallback_succeeded: false }) },
    ]);
  });
});
