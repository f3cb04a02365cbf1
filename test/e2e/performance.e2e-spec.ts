import { firstValueFrom } from 'rxjs';
import { EventName } from '../../src/events/event-contracts';
import { Command } from '../../src/events/patterns';
import { EventListener } from '../support/event-listener';
import { recordObservations, registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { waitUntil } from '../../scripts/lib/processes';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const DAY = 24 * 60 * 60 * 1000;
const PRIOR = 5;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** UTC period starts as Postgres' date_trunc computes them (weeks start on Monday). */
function periodStart(at: Date, granularity: 'day' | 'week' | 'month'): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), granularity === 'month' ? 1 : at.getUTCDate()));
  if (granularity === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString();
}

describe('performance tracking and feedback', () => {
  let service: TestApp;
  let openai: FakeServer;
  let events: EventListener;
  const http = (method: string, path: string, options?: Parameters<typeof request>[3]) => request(service.baseUrl, method, path, options);
  const chat = (model: string, id: string, taskType = 'code_generation') =>
    http('POST', '/api/models/chat', {
      body: { model_id: model, task_type: taskType, messages: [{ role: 'user', content: 'write code' }] },
      headers: { 'X-Request-Id': id },
    });
  const feedback = (body: Record<string, unknown>) => http('POST', '/api/models/feedback', { body });
  const rollUp = () => http('POST', '/api/admin/performance/rollup', { headers: admin });

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp();
    events = await EventListener.start(`redis://${service.config.redis.host}:${service.config.redis.port}`);
    for (const id of ['fb-a', 'fb-b', 'fb-c', 'fb-d', 'trend-model', 'reset-model', 'count-model', 'drift-model']) {
      await registerModel(service, {
        model_id: id,
        provider: 'openai',
        capabilities: ['chat'],
        api_url: openai.url,
        api_key: 'sk-test-performance',
        quality: 0.6,
        task_specific: { code_generation: 0.6, reasoning: 0.6 },
      });
    }
  });

  afterAll(async () => {
    await events.close();
    await service.close();
    await openai.close();
  });

  describe('POST /api/models/feedback', () => {
    it('accepts feedback, answers the updated scores and publishes the event', async () => {
      await chat('fb-a', 'req-fb-a');
      const { status, body } = await feedback({
        request_id: 'req-fb-a',
        quality_rating: 1,
        success: true,
        feedback: 'great',
        corrections: { original: 'x', corrected: 'y' },
        metadata: { user_id: 'alice', task_id: 't1' },
      });
      expect(status).toBe(200);
      expect(body).toEqual({
        feedback_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        created_at: expect.any(String),
        status: 'accepted',
        updated_metrics: { quality_score: expect.any(Number), success_rate: expect.any(Number) },
      });
      // Prior worth 5 at 0.6; the automatic observation of a normal answer carries no quality; feedback weighs 3.
      expect(body.updated_metrics.quality_score).toBeCloseTo((PRIOR * 0.6 + 3 * 1) / (PRIOR + 3), 6);
      // Prior 0.9 worth 5, one automatic success, one user success of weight 3.
      expect(body.updated_metrics.success_rate).toBeCloseTo((PRIOR * 0.9 + 1 + 3) / (PRIOR + 4), 6);

      const event = await events.waitFor(EventName.FeedbackReceived, (e) => e.request_id === 'req-fb-a');
      expect(event).toEqual({
        feedback_id: body.feedback_id,
        request_id: 'req-fb-a',
        model_id: 'fb-a',
        task_type: 'code_generation',
        timestamp: body.created_at,
        feedback: { quality_rating: 1, success: true, has_corrections: true },
      });

      const { body: next } = await chat('fb-a', 'req-fb-a-2');
      expect(next.performance.quality_score).toBeCloseTo(body.updated_metrics.quality_score, 6);
    });

    it('moves the score exactly as far as three automatic observations of the same value', async () => {
      await chat('fb-b', 'req-fb-b');
      const fromFeedback = await feedback({ request_id: 'req-fb-b', quality_rating: 0, success: true });

      openai.behave('fb-c', { text: '' });
      for (const id of ['req-fb-c-1', 'req-fb-c-2', 'req-fb-c-3']) await chat('fb-c', id);
      const { body: report } = await http('GET', '/api/models/performance?model_id=fb-c&task_type=code_generation');

      const expected = (PRIOR * 0.6) / (PRIOR + 3);
      expect(fromFeedback.body.updated_metrics.quality_score).toBeCloseTo(expected, 6);
      expect(report.models[0].metrics.task_specific.code_generation.quality_score).toBeCloseTo(expected, 6);
    });

    it('replaces the same user\'s earlier feedback on a request, and counts another user\'s beside it', async () => {
      await chat('fb-d', 'req-fb-d');
      await feedback({ request_id: 'req-fb-d', quality_rating: 1, success: true, metadata: { user_id: 'bob' } });
      const replaced = await feedback({ request_id: 'req-fb-d', quality_rating: 0, success: true, metadata: { user_id: 'bob' } });
      expect(replaced.body.updated_metrics.quality_score).toBeCloseTo((PRIOR * 0.6 + 0) / (PRIOR + 3), 6);

      const other = await feedback({ request_id: 'req-fb-d', quality_rating: 1, success: true, metadata: { user_id: 'carol' } });
      expect(other.body.updated_metrics.quality_score).toBeCloseTo((PRIOR * 0.6 + 3) / (PRIOR + 6), 6);

      const rows = await service.sql.query(`SELECT user_key, quality_rating, replaced_by FROM feedback WHERE request_id = 'req-fb-d' ORDER BY created_at`);
      expect(rows.map((r: { user_key: string; replaced_by: string | null }) => [r.user_key, r.replaced_by === null])).toEqual([
        ['bob', false],
        ['bob', true],
        ['carol', true],
      ]);
    });

    it('accepts feedback on a failed request, against the model that failed', async () => {
      openai.behave('fb-d', { error: { status: 401, message: 'nope' } });
      await chat('fb-d', 'req-fb-failed');
      openai.reset();
      const { status } = await feedback({ request_id: 'req-fb-failed', success: false });
      expect(status).toBe(200);
      const [row] = await service.sql.query(`SELECT model_id, quality_rating FROM feedback WHERE request_id = 'req-fb-failed'`);
      expect(row).toEqual({ model_id: 'fb-d', quality_rating: null });
    });

    it('answers 404 for an unknown request and 400 naming bad fields', async () => {
      const unknown = await feedback({ request_id: 'no-such-request', success: true });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.details.request_id).toBe('no-such-request');

      const bad = await feedback({ request_id: 'req-fb-a', quality_rating: 1.5 });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body.error.details.fields).sort()).toEqual(['quality_rating', 'success']);

      const stringRating = await feedback({ request_id: 'req-fb-a', quality_rating: 'NaN', success: true });
      expect(stringRating.status).toBe(400);
      expect(Object.keys(stringRating.body.error.details.fields)).toEqual(['quality_rating']);
    });
  });

  describe('roll-ups and GET /api/models/performance', () => {
    const agos = [0.5 * DAY, 2 * DAY, 9 * DAY, 40 * DAY, 100 * DAY, 200 * DAY];

    beforeAll(async () => {
      await recordObservations(
        service,
        agos.flatMap((agoMs, i) => [
          { modelId: 'trend-model', taskType: 'code_generation', success: true, quality: 0.2 + 0.1 * i, agoMs },
          { modelId: 'trend-model', taskType: 'code_generation', success: i % 2 === 0, quality: null, agoMs },
          { modelId: 'trend-model', taskType: 'reasoning', success: true, quality: 0.9, agoMs },
        ]),
      );
      expect((await rollUp()).status).toBe(200);
    });

    /** What the buckets should hold, computed independently from the same observations. */
    function expectedTrend(granularity: 'day' | 'week' | 'month', from: Date, taskType?: string) {
      const now = Date.now();
      const buckets = new Map<string, { w: number; s: number; qw: number; q: number }>();
      agos.forEach((agoMs, i) => {
        const at = new Date(now - agoMs);
        const start = periodStart(at, granularity);
        if (start < periodStart(from, granularity)) return;
        const b = buckets.get(start) ?? { w: 0, s: 0, qw: 0, q: 0 };
        if (!taskType || taskType === 'code_generation') {
          b.w += 2;
          b.s += 1 + (i % 2 === 0 ? 1 : 0);
          b.qw += 1;
          b.q += 0.2 + 0.1 * i;
        }
        if (!taskType || taskType === 'reasoning') {
          b.w += 1;
          b.s += 1;
          b.qw += 1;
          b.q += 0.9;
        }
        buckets.set(start, b);
      });
      const ordered = [...buckets.entries()].sort(([a], [b]) => a.localeCompare(b));
      return {
        periods: ordered.map(([start]) => start),
        quality: ordered.map(([, b]) => b.q / b.qw),
        success: ordered.map(([, b]) => b.s / b.w),
      };
    }

    it.each([
      ['7d', undefined, 'day', 7 * DAY],
      ['30d', undefined, 'day', 30 * DAY],
      ['26w', 'week', 'week', 26 * 7 * DAY],
      ['12m', 'month', 'month', 0],
    ] as const)('trends over %s by %s hold the rolled-up numbers, oldest first', async (range, granularity, expectedGranularity, rangeMs) => {
      const query = `/api/models/performance?model_id=trend-model&time_range=${range}${granularity ? `&granularity=${granularity}` : ''}`;
      const { status, body } = await http('GET', query);
      expect(status).toBe(200);
      const from = new Date(Date.now() - rangeMs);
      if (range === '12m') from.setUTCMonth(from.getUTCMonth() - 12);
      const expected = expectedTrend(expectedGranularity, from);
      const trends = body.models[0].trends;
      expect(trends.granularity).toBe(expectedGranularity);
      expect(trends.periods).toEqual(expected.periods);
      expect(trends.quality_trend.map((q: number) => Number(q.toFixed(6)))).toEqual(expected.quality.map((q) => Number(q.toFixed(6))));
      expect(trends.success_trend.map((s: number) => Number(s.toFixed(6)))).toEqual(expected.success.map((s) => Number(s.toFixed(6))));
    });

    it('lists every task type with history, and narrows to one with task_type', async () => {
      const all = await http('GET', '/api/models/performance?model_id=trend-model&time_range=12m&granularity=month');
      expect(Object.keys(all.body.models[0].metrics.task_specific)).toEqual(['code_generation', 'reasoning']);
      expect(all.body.models[0].metrics.task_specific.code_generation.sample_count).toBe(12);
      expect(all.body.models[0]).toMatchObject({ model_id: 'trend-model', provider: 'openai' });

      const narrowed = await http('GET', '/api/models/performance?model_id=trend-model&task_type=reasoning&time_range=12m&granularity=month');
      expect(Object.keys(narrowed.body.models[0].metrics.task_specific)).toEqual(['reasoning']);
      expect(narrowed.body.models[0].trends.quality_trend.every((q: number) => Math.abs(q - 0.9) < 1e-9)).toBe(true);
    });

    it('gives the same buckets when the roll-up runs again', async () => {
      const before = await service.sql.query(`SELECT * FROM performance_rollups ORDER BY model_id, task_type, granularity, period_start`);
      expect((await rollUp()).body).toEqual({ buckets: expect.any(Number) });
      const after = await service.sql.query(`SELECT * FROM performance_rollups ORDER BY model_id, task_type, granularity, period_start`);
      expect(after).toEqual(before);
    });

    it('reads only roll-ups: the report works with the raw observations out of reach', async () => {
      await service.sql.query(`ALTER TABLE performance_observations RENAME TO performance_observations_hidden`);
      try {
        const { status, body } = await http('GET', '/api/models/performance?model_id=trend-model&time_range=12m&granularity=month');
        expect(status).toBe(200);
        expect(body.models[0].trends.periods.length).toBeGreaterThan(0);
      } finally {
        await service.sql.query(`ALTER TABLE performance_observations_hidden RENAME TO performance_observations`);
      }
    });

    it('answers 400 for unknown or malformed parameters and 404 for an unknown model', async () => {
      expect((await http('GET', '/api/models/performance?period=7d')).status).toBe(400);
      const badRange = await http('GET', '/api/models/performance?time_range=7days');
      expect(badRange.status).toBe(400);
      expect(Object.keys(badRange.body.error.details.fields)).toEqual(['time_range']);
      expect((await http('GET', '/api/models/performance?granularity=year')).status).toBe(400);
      expect((await http('GET', '/api/models/performance?model_id=ghost')).status).toBe(404);
    });

    it('lists models without history at their baseline', async () => {
      const { body } = await http('GET', '/api/models/performance?model_id=gpt-4o');
      expect(body.models[0]).toEqual({
        model_id: 'gpt-4o',
        provider: 'openai',
        metrics: { overall_quality: 0.5, success_rate: 0.9, task_specific: {} },
        trends: { quality_trend: [], success_trend: [], periods: [], granularity: 'day' },
      });
    });
  });

  describe('drift on kinds learned from prompts', () => {
    const rate = (taskType: string, quality: number, times = 1) =>
      recordObservations(service, Array.from({ length: times }, () => ({ modelId: 'drift-model', taskType, source: 'user' as const, success: true, quality, agoMs: 0 })));
    const qualityWeight = async (taskType: string) =>
      Number((await service.sql.query<{ w: number }[]>(`SELECT quality_weight AS w FROM performance_scores WHERE model_id = 'drift-model' AND task_type = $1`, [taskType]))[0].w);

    beforeAll(async () => {
      for (const taskType of ['kind-01', 'kind-02', 'kind-03', 'code_generation']) await rate(taskType, 0.9, 10);
    });

    it("shrinks a kind's old quality evidence once the model's drop shows across its kinds and twice in that kind, mean kept", async () => {
      // One rating at a time, as feedback arrives: 0.5 where 0.9 was expected, alternating between two kinds.
      for (const taskType of ['kind-01', 'kind-02', 'kind-01', 'kind-02']) await rate(taskType, 0.5);
      // Each kind shrank to 6 before its second low rating (weight 3) was added: 9, not 30 + 6.
      expect(await qualityWeight('kind-01')).toBeCloseTo(9, 3);
      expect(await qualityWeight('kind-02')).toBeCloseTo(9, 3);
      const [row] = await service.sql.query<{ q: number }[]>(`SELECT quality_sum / quality_weight AS q FROM performance_scores WHERE model_id = 'drift-model' AND task_type = 'kind-01'`);
      expect(row.q).toBeCloseTo((6 * ((30 * 0.9 + 3 * 0.5) / 33) + 3 * 0.5) / 9, 3);
    });

    it('leaves a kind whose own ratings hold up, and task types callers name, as they were', async () => {
      await rate('kind-03', 0.9);
      expect(await qualityWeight('kind-03')).toBeCloseTo(33, 3);
      for (let i = 0; i < 4; i += 1) await rate('code_generation', 0.5);
      expect(await qualityWeight('code_generation')).toBeCloseTo(42, 3);
    });

    it('keeps the statistics in Postgres, and a reset of the model starts them again', async () => {
      const stored = await service.sql.query<{ task_type: string }[]>(`SELECT task_type FROM performance_drift WHERE model_id = 'drift-model' ORDER BY task_type`);
      expect(stored.map((r) => r.task_type)).toEqual(['*', 'kind-01', 'kind-02', 'kind-03']);
      expect((await http('POST', '/api/admin/performance/reset', { headers: admin, body: { model_id: 'drift-model' } })).status).toBe(200);
      expect(await service.sql.query(`SELECT 1 FROM performance_drift WHERE model_id = 'drift-model'`)).toEqual([]);
    });
  });

  describe('model.performance.reset', () => {
    beforeAll(async () => {
      await recordObservations(service, [
        { modelId: 'reset-model', taskType: 'code_generation', success: false, quality: 0, agoMs: DAY },
        { modelId: 'reset-model', taskType: 'code_generation', success: false, quality: 0, agoMs: DAY },
        { modelId: 'reset-model', taskType: 'reasoning', success: true, quality: 1, agoMs: DAY },
      ]);
      await rollUp();
    });

    const report = async () => (await http('GET', '/api/models/performance?model_id=reset-model&time_range=30d')).body.models[0];

    it('resets one task type over Redis: back at the baseline, other task types untouched, overall rebuilt', async () => {
      const before = await report();
      expect(before.metrics.task_specific.code_generation.quality_score).toBeLessThan(0.6);

      const reply = await firstValueFrom(service.commands.send(Command.ResetPerformance, { model_id: 'reset-model', task_types: ['code_generation'] }));
      expect(reply).toEqual({
        model_id: 'reset-model',
        task_types: ['code_generation'],
        reset_at: expect.any(String),
        metrics: { overall_quality: expect.any(Number), success_rate: expect.any(Number) },
      });

      const after = await report();
      // Untouched, but for the decay of the seconds in between.
      expect(after.metrics.task_specific.reasoning.sample_count).toBe(before.metrics.task_specific.reasoning.sample_count);
      expect(after.metrics.task_specific.reasoning.quality_score).toBeCloseTo(before.metrics.task_specific.reasoning.quality_score, 6);
      expect(after.metrics.task_specific.code_generation).toBeUndefined();
      // Overall now holds only the reasoning observation (quality 1, a day old: decayed with a 30-day half-life) against the 0.6 prior.
      const weight = 0.5 ** (1 / 30);
      expect(after.metrics.overall_quality).toBeCloseTo((PRIOR * 0.6 + weight) / (PRIOR + weight), 4);
      const chatAfter = await chat('reset-model', 'req-after-reset');
      expect(chatAfter.body.performance.quality_score).toBe(0.6);

      await rollUp();
      const rows = await service.sql.query(`SELECT DISTINCT task_type FROM performance_rollups WHERE model_id = 'reset-model'`);
      expect(rows.map((r: { task_type: string }) => r.task_type).sort()).toEqual(['code_generation', 'reasoning']);
      const codeRollups = await service.sql.query(
        `SELECT sum(sample_count)::int AS n FROM performance_rollups WHERE model_id = 'reset-model' AND task_type = 'code_generation' AND granularity = 'day'`,
      );
      expect(codeRollups[0].n).toBe(1);
    });

    it('resets every task type through the admin endpoint', async () => {
      const { status, body } = await http('POST', '/api/admin/performance/reset', { headers: admin, body: { model_id: 'reset-model' } });
      expect(status).toBe(200);
      expect(body.task_types).toBeNull();
      expect(body.metrics).toEqual({ overall_quality: 0.6, success_rate: 0.9 });
      const after = await report();
      expect(after.metrics.task_specific).toEqual({});
      expect(after.trends.periods).toEqual([]);
    });

    it('answers an unknown model or a bad payload with a structured error, not a crash', async () => {
      const unknown = await firstValueFrom(service.commands.send(Command.ResetPerformance, { model_id: 'ghost' })).catch((e: unknown) => e);
      expect(unknown).toMatchObject({ code: 'model_not_found', details: { model_id: 'ghost' } });
      const bad = await firstValueFrom(service.commands.send(Command.ResetPerformance, { model_id: 'reset-model', task_types: [] })).catch((e: unknown) => e);
      expect(bad).toMatchObject({ code: 'validation_failed', details: { fields: { task_types: expect.any(Array) } } });
    });
  });

  describe('sample_count', () => {
    const taskMetrics = async () => (await http('GET', '/api/models/performance?model_id=count-model')).body.models[0].metrics.task_specific;
    /** Observations of the model that the scores include: not voided, recorded after any reset of their task type or of the model. */
    const counted = async (taskType: string) =>
      (
        await service.sql.query(
          `SELECT count(*)::int AS n FROM performance_observations o
            WHERE o.model_id = 'count-model' AND ($1 = '*' OR o.task_type = $1) AND o.voided_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM performance_resets r WHERE r.model_id = o.model_id
                                AND r.task_type IN (o.task_type, '*') AND r.reset_at >= o.recorded_at)`,
          [taskType],
        )
      )[0].n;
    const overallCount = async () =>
      (await service.sql.query(`SELECT sample_count FROM performance_scores WHERE model_id = 'count-model' AND task_type = '*'`))[0]?.sample_count;
    const rollupRows = async () => (await service.sql.query(`SELECT count(*)::int AS n FROM performance_rollups WHERE model_id = 'count-model'`))[0].n;

    it('counts every request and feedback the scores include right away, with no roll-up yet, and a replaced rating once', async () => {
      for (const id of ['cnt-1', 'cnt-2', 'cnt-3']) expect((await chat('count-model', id)).status).toBe(200);
      expect((await chat('count-model', 'cnt-r', 'reasoning')).status).toBe(200);
      expect(await rollupRows()).toBe(0);
      expect(await taskMetrics()).toEqual({
        code_generation: expect.objectContaining({ sample_count: 3 }),
        reasoning: expect.objectContaining({ sample_count: 1 }),
      });

      expect((await feedback({ request_id: 'cnt-1', quality_rating: 1, success: true, metadata: { user_id: 'alice' } })).status).toBe(200);
      expect((await taskMetrics()).code_generation.sample_count).toBe(4);
      // Alice changes her mind: her first rating is voided (-1) and the new one counts (+1).
      expect((await feedback({ request_id: 'cnt-1', quality_rating: 0, success: false, metadata: { user_id: 'alice' } })).status).toBe(200);
      expect((await feedback({ request_id: 'cnt-2', quality_rating: 0.5, success: true, metadata: { user_id: 'bob' } })).status).toBe(200);

      const metrics = await taskMetrics();
      expect(metrics.code_generation.sample_count).toBe(5);
      expect(metrics.code_generation.sample_count).toBe(await counted('code_generation'));
      expect(metrics.reasoning.sample_count).toBe(await counted('reasoning'));
      expect(await overallCount()).toBe(await counted('*'));
      expect(await rollupRows()).toBe(0);
    });

    it('stays the same through a roll-up, which then holds as many samples', async () => {
      const before = await taskMetrics();
      expect((await rollUp()).status).toBe(200);
      const after = await taskMetrics();
      expect(after.code_generation.sample_count).toBe(before.code_generation.sample_count);
      expect(after.reasoning.sample_count).toBe(before.reasoning.sample_count);
      const [{ n }] = await service.sql.query(
        `SELECT sum(sample_count)::int AS n FROM performance_rollups WHERE model_id = 'count-model' AND task_type = 'code_generation' AND granularity = 'day'`,
      );
      expect(n).toBe(after.code_generation.sample_count);
    });

    it('restarts from zero for a reset task type, keeps the others, and counts the rebuilt overall score', async () => {
      expect((await http('POST', '/api/admin/performance/reset', { headers: admin, body: { model_id: 'count-model', task_types: ['code_generation'] } })).status).toBe(200);
      const afterReset = await taskMetrics();
      expect(afterReset.code_generation).toBeUndefined();
      expect(afterReset.reasoning.sample_count).toBe(1);
      expect(await overallCount()).toBe(1);

      expect((await chat('count-model', 'cnt-after-reset')).status).toBe(200);
      const metrics = await taskMetrics();
      expect(metrics.code_generation.sample_count).toBe(1);
      expect(metrics.code_generation.sample_count).toBe(await counted('code_generation'));
      expect(await overallCount()).toBe(await counted('*'));

      await rollUp();
      const rolledUp = await taskMetrics();
      expect([rolledUp.code_generation.sample_count, rolledUp.reasoning.sample_count]).toEqual([1, 1]);
    });

    it('is gone with the scores after a full reset', async () => {
      expect((await http('POST', '/api/admin/performance/reset', { headers: admin, body: { model_id: 'count-model' } })).status).toBe(200);
      expect(await taskMetrics()).toEqual({});
      expect(await overallCount()).toBeUndefined();
      expect(await counted('*')).toBe(0);
    });
  });
});

describe('performance tracking with a short half-life', () => {
  it('counts evidence thousands of half-lives old as none, instead of failing feedback and the fold', async () => {
    const upstream = await startFakeOpenAi();
    const service = await startTestApp({ PERFORMANCE_HALF_LIFE_DAYS: '0.01' });
    const chat = (id: string) =>
      request(service.baseUrl, 'POST', '/api/models/chat', {
        body: { model_id: 'stale', task_type: 'code_generation', messages: [{ role: 'user', content: 'write code' }] },
        headers: { 'X-Request-Id': id },
      });
    const unfolded = async () => (await service.sql.query(`SELECT count(*)::int AS n FROM performance_observations WHERE NOT folded`))[0].n;
    try {
      await registerModel(service, { model_id: 'stale', provider: 'openai', capabilities: ['chat'], api_url: upstream.url, api_key: 'sk-test-stale', quality: 0.6 });
      expect((await chat('stale-1')).status).toBe(200);
      await waitUntil(async () => (await unfolded()) === 0);
      // 20 days at a 14.4-minute half-life is 2,000 half-lives: 0.5 to that power is below what a float8 holds.
      await service.sql.query(`UPDATE performance_scores SET decayed_to = decayed_to - interval '20 days' WHERE model_id = 'stale'`);

      expect((await chat('stale-2')).status).toBe(200);
      const answered = await request(service.baseUrl, 'POST', '/api/models/feedback', { body: { request_id: 'stale-2', quality_rating: 1, success: true } });
      expect(answered.status).toBe(200);
      await waitUntil(async () => (await unfolded()) === 0);
    } finally {
      await service.close();
      await upstream.close();
    }
  });
});
