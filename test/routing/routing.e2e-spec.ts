import { PerformanceService } from '../../src/performance/performance.service';
import { ModelsService } from '../../src/models/models.service';
import { RoutingService } from '../../src/routing/routing.service';
import { recordObservations, registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';

const COOLDOWN_MS = 1000;
const MAX_EVIDENCE = 60;

describe('routing on the real app', () => {
  let service: TestApp;
  let openai: FakeServer;
  const chat = (body: Record<string, unknown>) =>
    request(service.baseUrl, 'POST', '/api/models/chat', { body: { messages: [{ role: 'user', content: 'hi' }], ...body } });
  const circuitOf = async (id: string) => {
    const { body } = await request(service.baseUrl, 'GET', '/api/models');
    return body.models.find((m: { id: string }) => m.id === id).metadata.circuit;
  };
  const waitForCircuit = async (id: string, state: string) => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const circuit = await circuitOf(id);
      if (circuit.state === state || Date.now() > deadline) return circuit;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp({
      ROUTING_BREAKER_THRESHOLD: '3',
      ROUTING_BREAKER_COOLDOWN_SECONDS: String(COOLDOWN_MS / 1000),
      PERFORMANCE_MAX_EVIDENCE: String(MAX_EVIDENCE),
    });
    const model = (id: string, quality: number, capabilities: string[], pricing = { input: 0.001, output: 0.002 }) =>
      registerModel(service, { model_id: id, provider: 'openai', capabilities: ['chat', ...capabilities], api_url: openai.url, api_key: 'sk-test-routing', quality, pricing });
    await model('flaky-best', 0.95, ['breaker']);
    await model('steady-second', 0.6, ['breaker']);
    await model('drifting', 0.5, ['drift']);
    await model('dear', 0.8, ['budget'], { input: 0.03, output: 0.06 });
    await model('cheap', 0.6, ['budget'], { input: 0.0001, output: 0.0002 });
  });

  afterAll(async () => {
    await service.close();
    await openai.close();
  });

  describe('circuit breaker', () => {
    it('opens after consecutive retryable failures, skips the model, then lets one trial through and closes', async () => {
      expect(await circuitOf('flaky-best')).toEqual({ state: 'closed', consecutive_failures: 0 });

      openai.behave('flaky-best', { error: { status: 503, message: 'overloaded' } });
      for (let i = 0; i < 3; i += 1) {
        const { body } = await chat({ requirements: { capabilities: ['breaker'] } });
        expect(body.model.id).toBe('steady-second');
        expect(body.metadata.failed_attempts[0].model_id).toBe('flaky-best');
      }
      const open = await circuitOf('flaky-best');
      expect(open).toEqual({ state: 'open', consecutive_failures: 3, open_until: expect.any(String) });
      expect(Date.parse(open.open_until) - Date.now()).toBeLessThanOrEqual(COOLDOWN_MS);

      // While open, routing does not call it at all.
      openai.reset();
      const skipped = await chat({ requirements: { capabilities: ['breaker'] } });
      expect(skipped.body.model.id).toBe('steady-second');
      expect(skipped.body.metadata.failed_attempts).toBeUndefined();
      expect(openai.requests.map((r) => r.body.model)).toEqual(['steady-second']);

      // Named without fallback, it is refused at once, with the reason.
      const refused = await chat({ model_id: 'flaky-best', fallback: false });
      expect(refused.status).toBe(503);
      expect(refused.body.error.details.rejected).toEqual([{ model_id: 'flaky-best', reason: expect.stringContaining('circuit open until') }]);

      // After the cool-down it is half-open: the next request tries it, and its success closes the circuit.
      expect((await waitForCircuit('flaky-best', 'half_open')).state).toBe('half_open');
      openai.behave('flaky-best', { text: 'back' });
      const trial = await chat({ requirements: { capabilities: ['breaker'] } });
      expect(trial.body.model.id).toBe('flaky-best');
      expect(await circuitOf('flaky-best')).toEqual({ state: 'closed', consecutive_failures: 0 });
    });

    it('opens again when the trial call fails', async () => {
      openai.behave('flaky-best', { error: { status: 500, message: 'down' } });
      for (let i = 0; i < 3; i += 1) await chat({ requirements: { capabilities: ['breaker'] } });
      expect((await circuitOf('flaky-best')).state).toBe('open');
      expect((await waitForCircuit('flaky-best', 'half_open')).state).toBe('half_open');

      const trial = await chat({ requirements: { capabilities: ['breaker'] } });
      expect(trial.body.metadata.failed_attempts[0].model_id).toBe('flaky-best');
      expect(await circuitOf('flaky-best')).toEqual({ state: 'open', consecutive_failures: 4, open_until: expect.any(String) });
    });
  });

  describe('evidence', () => {
    it('keeps at most PERFORMANCE_MAX_EVIDENCE of weight, so a model that gets worse loses its score within a bounded number of ratings', async () => {
      const ratings = (quality: number, n: number) =>
        Array.from({ length: n }, () => ({ modelId: 'drifting', taskType: 'drift', success: true, quality, agoMs: 0, source: 'user' as const }));
      await recordObservations(service, ratings(1, 100));
      const [full] = await service.sql.query(`SELECT quality_weight, quality_sum, quality_sq_sum FROM performance_scores WHERE model_id = 'drifting' AND task_type = 'drift'`);
      expect(full.quality_weight).toBeCloseTo(MAX_EVIDENCE, 4);
      expect(full.quality_sum).toBeCloseTo(MAX_EVIDENCE, 4);
      expect(full.quality_sq_sum).toBeCloseTo(MAX_EVIDENCE, 4);

      // Ten ratings of 0 (weight 3 each) push out half of the old evidence, whatever came before.
      await recordObservations(service, ratings(0, 10));
      const [after] = await service.sql.query(`SELECT quality_weight, quality_sum FROM performance_scores WHERE model_id = 'drifting' AND task_type = 'drift'`);
      expect(after.quality_weight).toBeCloseTo(MAX_EVIDENCE, 4);
      expect(after.quality_sum).toBeCloseTo(MAX_EVIDENCE - 30, 4);
      const model = await service.app.get(ModelsService).get('drifting');
      // The baseline 0.5 is worth 5 observations.
      expect(service.app.get(PerformanceService).scoresFor(model, 'drift').quality).toBeCloseTo((5 * 0.5 + 30) / (5 + MAX_EVIDENCE), 4);
    });
  });

  describe('plan', () => {
    const plan = (needs: Record<string, unknown>) =>
      service.app.get(RoutingService).plan({
        taskType: 'general',
        fallback: true,
        promptText: '',
        needs: { anyOf: ['chat'], allOf: ['budget'], promptTokensAtMost: 4000, maxTokens: 1000, minQuality: undefined, reliability: undefined, ...needs },
      });

    it('trades quality for cost: a dear model must be better by more than its expected cost', async () => {
      // 1K prompt + 1K completion tokens: 0.09 USD on the dear model, 0.0003 on the cheap one.
      const [first] = await plan({});
      expect(first.model.id).toBe('dear');
      expect(first.expectedCost).toBeCloseTo(0.09, 9);
      // At three times the size (0.27 USD), the dear model's 0.2 of quality is not worth it.
      const [large] = await plan({ promptTokensAtMost: 12_000, maxTokens: 3000 });
      expect(large.model.id).toBe('cheap');
    });

    it('leaves out models above max_cost_per_1k', async () => {
      const candidates = await plan({ maxCostPer1k: 0.01 });
      expect(candidates.map((c) => c.model.id)).toEqual(['cheap']);
      await expect(plan({ maxCostPer1k: 0.00001 })).rejects.toMatchObject({
        details: { rejected: expect.arrayContaining([{ model_id: 'dear', reason: expect.stringContaining('above max_cost_per_1k 0.00001') }]) },
      });
    });
  });
});
