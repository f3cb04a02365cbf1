import { FailureOrFallback } from '../inference.repository';
import { toRecentRequestView } from './recent-requests.dto';

const attempt = {
  model_id: 'flaky',
  provider: 'openai',
  error: { code: 'server_error' as const, message: 'upstream overloaded', retryable: true, status: 503 },
};

const row = (overrides: Partial<FailureOrFallback>): FailureOrFallback => ({
  id: 'req-1',
  status: 'completed',
  taskType: 'code_generation',
  requestedModelId: 'flaky',
  modelId: 'steady',
  provider: 'anthropic',
  attempts: [attempt],
  error: null,
  createdAt: new Date('2026-03-01T12:00:00Z'),
  completedAt: new Date('2026-03-01T12:00:02Z'),
  ...overrides,
});

describe('toRecentRequestView', () => {
  it('shows a completed request with a fallback trail as a fallback, with the model that answered', () => {
    expect(toRecentRequestView(row({}))).toEqual({
      request_id: 'req-1',
      outcome: 'fallback',
      status: 'completed',
      task_type: 'code_generation',
      requested_model_id: 'flaky',
      model_id: 'steady',
      provider: 'anthropic',
      error_code: null,
      error_message: null,
      attempts: [attempt],
      created_at: '2026-03-01T12:00:00.000Z',
      completed_at: '2026-03-01T12:00:02.000Z',
    });
  });

  it('shows a failed request with its error code and message', () => {
    const error = { code: 'provider_error', message: 'Provider rejected the request: bad key', details: { attempts: [] } };
    const view = toRecentRequestView(row({ status: 'failed', modelId: 'flaky', attempts: [], error, completedAt: null }));
    expect(view).toMatchObject({ outcome: 'failed', status: 'failed', model_id: 'flaky', error_code: 'provider_error', attempts: [], completed_at: null });
    expect(view.error_message).toBe('Provider rejected the request: bad key');
  });
});
