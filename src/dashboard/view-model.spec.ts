import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

/** Loads the browser script exactly as the page does (a classic script defining a global), in a sandbox. */
function loadViewModel(): any {
  const sandbox: Record<string, any> = {};
  sandbox.globalThis = sandbox;
  runInNewContext(readFileSync(join(__dirname, 'public', 'view-model.js'), 'utf8'), sandbox);
  return sandbox.DashboardViewModel;
}

const VM = loadViewModel();

const DAY1 = '2026-03-01T00:00:00.000Z';
const DAY2 = '2026-03-02T00:00:00.000Z';
const DAY3 = '2026-03-03T00:00:00.000Z';

function report(modelId: string, periods: string[], quality: (number | null)[], success: number[], tasks: Record<string, number> = {}) {
  const task_specific = Object.fromEntries(Object.entries(tasks).map(([type, n]) => [type, { quality_score: 0.5, success_rate: 0.9, sample_count: n }]));
  return { model_id: modelId, metrics: { task_specific }, trends: { periods, quality_trend: quality, success_trend: success } };
}

function model(id: string, available: boolean) {
  return { id, metadata: { available, ...(!available && { unavailable_reason: 'no API key' }) } };
}

describe('dashboard view model', () => {
  describe('trendSeries', () => {
    it('aligns every model on the union of periods, oldest first, with null where a model has no point', () => {
      const models = [report('a', [DAY1, DAY3], [0.7, null], [1, 0.5]), report('b', [DAY2, DAY3], [0.4, 0.6], [0.9, 1]), report('idle', [], [], [])];
      expect(VM.trendSeries(models, 'quality_trend', 'day')).toEqual({
        periods: [DAY1, DAY2, DAY3],
        labels: ['2026-03-01', '2026-03-02', '2026-03-03'],
        series: [
          { modelId: 'a', data: [0.7, null, null] },
          { modelId: 'b', data: [null, 0.4, 0.6] },
        ],
      });
      expect(VM.trendSeries(models, 'success_trend', 'day').series[0].data).toEqual([1, null, 0.5]);
    });

    it('labels months by year and month', () => {
      expect(VM.trendSeries([report('a', [DAY1], [0.5], [1])], 'quality_trend', 'month').labels).toEqual(['2026-03']);
    });

    it('has no series and no labels without roll-ups', () => {
      expect(VM.trendSeries([report('a', [], [], [])], 'quality_trend', 'week')).toEqual({ periods: [], labels: [], series: [] });
    });
  });

  describe('task types', () => {
    const models = [report('a', [], [], [], { reasoning: 4, code_generation: 10 }), report('b', [], [], [], { code_generation: 1, summarization: 12 })];

    it('offers every task type with history, general and one asked for, sorted', () => {
      expect(VM.taskTypesOf(models, 'creative')).toEqual(['code_generation', 'creative', 'general', 'reasoning', 'summarization']);
    });

    it('opens on the task type with the most samples, or general without history', () => {
      expect(VM.busiestTaskType(models)).toBe('summarization');
      expect(VM.busiestTaskType([])).toBe('general');
    });
  });

  it('finds the failures and fallbacks a model took part in', () => {
    const request = { requested_model_id: 'named', model_id: 'answered', attempts: [{ model_id: 'tried' }] };
    expect(['named', 'answered', 'tried'].map((id) => VM.involves(request, id))).toEqual([true, true, true]);
    expect(VM.involves(request, 'other')).toBe(false);
  });

  it('lists models with history or availability by quality, and apart the unavailable ones without history', () => {
    const models = [model('idle-unavailable', false), model('good', true), model('bad', true), model('old-unavailable', false)];
    const taskReport = [
      { model_id: 'good', metrics: { task_specific: { code: { quality_score: 0.9, success_rate: 1, sample_count: 3 } } } },
      { model_id: 'bad', metrics: { task_specific: { code: { quality_score: 0.2, success_rate: 0.5, sample_count: 2 } } } },
      { model_id: 'old-unavailable', metrics: { task_specific: { code: { quality_score: 0.5, success_rate: 0.8, sample_count: 7 } } } },
    ];
    const { shown, hidden } = VM.modelRows(models, taskReport, 'code');
    expect(shown.map((r: { model: { id: string } }) => r.model.id)).toEqual(['good', 'old-unavailable', 'bad']);
    expect(shown[0]).toMatchObject({ quality: 0.9, successRate: 1, samples: 3 });
    expect(hidden.map((r: { model: { id: string } }) => r.model.id)).toEqual(['idle-unavailable']);
  });

  it('gives colours to models that can be called or have history, in id order', () => {
    const models = [model('zeta', true), model('catalogue-only', false), model('alpha', true), model('retired', false)];
    const overview = [report('retired', [], [], [], { code: 2 }), report('catalogue-only', [], [], [])];
    expect(VM.colouredModels(models, overview)).toEqual(['alpha', 'retired', 'zeta']);
  });

  it('puts rejections of callable models before unavailable ones', () => {
    const rejected = [
      { model_id: 'a', reason: 'unavailable: no API key' },
      { model_id: 'z', reason: 'circuit open until 2026-03-01T12:00:30.000Z after 5 consecutive failures' },
    ];
    expect(VM.sortRejections(rejected).map((r: { model_id: string }) => r.model_id)).toEqual(['z', 'a']);
  });

  it('formats scores, rates, prices and circuits for people', () => {
    expect([VM.formatScore(0.86123), VM.formatScore(null)]).toEqual(['0.861', '–']);
    expect(VM.formatPercent(0.9749)).toBe('97.5%');
    expect([VM.formatUsd(0), VM.formatUsd(0.000256), VM.formatUsd(0.0123456), VM.formatUsd(2.5), VM.formatUsd(1e-9)]).toEqual([
      '$0',
      '$0.000256',
      '$0.0123',
      '$2.50',
      '< $0.000001',
    ]);
    expect(VM.circuitText({ state: 'open', consecutive_failures: 5, open_until: '2026-03-01T12:00:30.000Z' })).toBe('open until 12:00:30 UTC');
    expect(VM.circuitText({ state: 'half_open', consecutive_failures: 5 })).toBe('half-open');
    expect(VM.circuitText({ state: 'closed', consecutive_failures: 0 })).toBe('closed');
  });
});
