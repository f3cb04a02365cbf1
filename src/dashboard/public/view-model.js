'use strict';

/**
 * Pure helpers of the performance page: they turn the public API's JSON into what the page
 * shows, touch neither the DOM nor the network, and are unit-tested (view-model.spec.ts).
 * A classic script: it defines `DashboardViewModel` on the global object.
 */
(function (root) {
  /** The time range read for each trend granularity. */
  const RANGES = Object.freeze({ day: '30d', week: '26w', month: '12m' });
  const RANGE_LABELS = Object.freeze({ day: 'last 30 days', week: 'last 26 weeks', month: 'last 12 months' });
  /** Requests without a task type are routed and scored as this one. */
  const DEFAULT_TASK_TYPE = 'general';

  /** Chart label of a period start (an ISO instant, UTC): the day, the week's Monday, or the month. */
  function periodLabel(iso, granularity) {
    return granularity === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
  }

  /**
   * Chart data for one trend (`quality_trend` or `success_trend`) of several models: one label
   * per period any of them has a point in, oldest first, and per model with a point one series,
   * null where it has none (or, for quality, no quality signal).
   */
  function trendSeries(reportModels, metric, granularity) {
    const withPoints = reportModels.filter((m) => m.trends.periods.length > 0);
    const periods = [...new Set(withPoints.flatMap((m) => m.trends.periods))].sort();
    const series = withPoints.map((m) => {
      const byPeriod = new Map(m.trends.periods.map((period, i) => [period, m.trends[metric][i]]));
      return { modelId: m.model_id, data: periods.map((period) => (byPeriod.has(period) ? byPeriod.get(period) : null)) };
    });
    return { periods, labels: periods.map((period) => periodLabel(period, granularity)), series };
  }

  /** Every task type some model has scores or roll-ups for, `general` and `extra` (e.g. one asked for in the URL), sorted. */
  function taskTypesOf(reportModels, extra) {
    const types = new Set([DEFAULT_TASK_TYPE]);
    for (const model of reportModels) for (const type of Object.keys(model.metrics.task_specific)) types.add(type);
    if (extra) types.add(extra);
    return [...types].sort();
  }

  /** The task type with the most samples across models (ties: the first by name), else `general`: what a first visit shows. */
  function busiestTaskType(reportModels) {
    const samples = new Map();
    for (const model of reportModels) {
      for (const [type, metrics] of Object.entries(model.metrics.task_specific)) samples.set(type, (samples.get(type) ?? 0) + metrics.sample_count);
    }
    let best = DEFAULT_TASK_TYPE;
    let most = 0;
    for (const [type, count] of [...samples.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (count > most) [best, most] = [type, count];
    }
    return best;
  }

  /** Whether a failed request or fallback concerns the model: it was named, answered, or failed in the trail. */
  function involves(request, modelId) {
    return request.requested_model_id === modelId || request.model_id === modelId || request.attempts.some((a) => a.model_id === modelId);
  }

  /**
   * The models table: models with history for the task type or that can be called now first
   * (by quality for the task, then id), and apart those unavailable without any history.
   */
  function modelRows(models, taskReport, taskType) {
    const reportById = new Map(taskReport.map((m) => [m.model_id, m]));
    const rows = models.map((model) => {
      const task = reportById.get(model.id)?.metrics.task_specific[taskType];
      return {
        model,
        quality: task ? task.quality_score : null,
        successRate: task ? task.success_rate : null,
        samples: task ? task.sample_count : 0,
      };
    });
    const byQuality = (a, b) => (b.quality ?? -1) - (a.quality ?? -1) || a.model.id.localeCompare(b.model.id);
    const shown = rows.filter((r) => r.model.metadata.available || r.samples > 0).sort(byQuality);
    const hidden = rows.filter((r) => !r.model.metadata.available && r.samples === 0).sort((a, b) => a.model.id.localeCompare(b.model.id));
    return { shown, hidden };
  }

  /**
   * The models that get a colour of their own, in a stable order (by id): those that can be called
   * or have history. Unavailable catalogue entries share a neutral one, so the palette goes to
   * models that show up in charts.
   */
  function colouredModels(models, overviewModels) {
    const withHistory = new Set(overviewModels.filter((m) => Object.keys(m.metrics.task_specific).length > 0).map((m) => m.model_id));
    return models
      .filter((m) => m.metadata.available || withHistory.has(m.id))
      .map((m) => m.id)
      .sort();
  }

  /** Rejections worth an operator's eye first: those of models that could be called (circuit, budget...), then unavailable ones. */
  function sortRejections(rejected) {
    const unavailable = (r) => (r.reason.startsWith('unavailable') ? 1 : 0);
    return [...rejected].sort((a, b) => unavailable(a) - unavailable(b) || a.model_id.localeCompare(b.model_id));
  }

  function formatScore(value) {
    return value === null || value === undefined ? '–' : value.toFixed(3);
  }

  function formatPercent(value) {
    return value === null || value === undefined ? '–' : `${(value * 100).toFixed(1)}%`;
  }

  /** USD with enough digits to tell cheap models apart. */
  function formatUsd(value) {
    if (value === 0) return '$0';
    if (value < 0.000001) return '< $0.000001';
    if (value >= 1) return `$${value.toFixed(2)}`;
    return `$${Number(value.toPrecision(3))}`;
  }

  /** A circuit's state in words: `closed`, `half-open`, or `open until <time>` (UTC). */
  function circuitText(circuit) {
    switch (circuit.state) {
      case 'open':
        return circuit.open_until ? `open until ${circuit.open_until.slice(11, 19)} UTC` : 'open';
      case 'half_open':
        return 'half-open';
      default:
        return 'closed';
    }
  }

  root.DashboardViewModel = Object.freeze({
    RANGES,
    RANGE_LABELS,
    DEFAULT_TASK_TYPE,
    periodLabel,
    trendSeries,
    taskTypesOf,
    busiestTaskType,
    involves,
    modelRows,
    colouredModels,
    sortRejections,
    formatScore,
    formatPercent,
    formatUsd,
    circuitText,
  });
})(globalThis);
