'use strict';

/**
 * The performance page. It reads only the public JSON API (`/api/models`, `/api/models/performance`,
 * `/api/models/routing`, `/api/models/routing/kinds`, `/api/models/requests`) and renders it with plain DOM calls (text only,
 * never HTML from the API) and Chart.js. What is shown (task type, model, granularity) lives in
 * the URL, so a view can be linked. `body[data-state]` is `loading`, `ready` or `error`.
 */
(function () {
  const VM = window.DashboardViewModel;
  const REFRESH_MS = 30_000;
  const PALETTE = ['#2563eb', '#16a34a', '#db2777', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#dc2626', '#4f46e5', '#059669'];
  const NEUTRAL = '#98a2b3';
  const TRENDS = [
    { metric: 'quality_trend', canvas: 'quality-chart', format: VM.formatScore, tick: (v) => v.toFixed(1) },
    { metric: 'success_trend', canvas: 'success-chart', format: VM.formatPercent, tick: (v) => `${Math.round(v * 100)}%` },
  ];

  const state = readState();
  /** The last answers of the API, rendered again when only the model changes. */
  let data = null;
  /** Answers to a load superseded by a newer one are dropped. */
  let generation = 0;
  const charts = new Map();

  // ---- state in the URL ------------------------------------------------------------------

  function readState() {
    const params = new URLSearchParams(location.search);
    const granularity = params.get('granularity');
    return {
      taskType: params.get('task_type') || null,
      modelId: params.get('model') || '',
      granularity: granularity !== null && Object.hasOwn(VM.RANGES, granularity) ? granularity : 'day',
    };
  }

  function writeState() {
    const params = new URLSearchParams();
    if (state.taskType) params.set('task_type', state.taskType);
    if (state.modelId) params.set('model', state.modelId);
    if (state.granularity !== 'day') params.set('granularity', state.granularity);
    const query = params.toString();
    history.replaceState(null, '', query ? `?${query}` : location.pathname);
  }

  // ---- DOM and API helpers ----------------------------------------------------------------

  /** An element with attributes, listeners (`on<event>`) and children (nodes or text; never parsed as HTML). */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const byId = (id) => document.getElementById(id);

  // With client keys on (CLIENT_AUTH=keys) the page asks once for a key or the admin token, kept for this tab only.
  const CREDENTIAL = 'mos-dashboard-credential';

  async function api(path) {
    const send = () => {
      const credential = sessionStorage.getItem(CREDENTIAL);
      return fetch(path, { headers: { accept: 'application/json', ...(credential && { authorization: `Bearer ${credential}` }) } });
    };
    const used = sessionStorage.getItem(CREDENTIAL);
    let response = await send();
    if (response.status === 401) {
      // Reads that were refused together ask once: the others find the credential already given.
      if (sessionStorage.getItem(CREDENTIAL) === used) {
        const given = window.prompt('This deployment needs a key: the admin token (every request) or a client key (its own)');
        if (given) sessionStorage.setItem(CREDENTIAL, given.trim());
      }
      if (sessionStorage.getItem(CREDENTIAL) !== used) response = await send();
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(`${path}: ${body?.error?.message ?? `HTTP ${response.status}`}`);
    return body;
  }

  function colorOf(modelId) {
    const index = data.coloured.indexOf(modelId);
    return index < 0 ? NEUTRAL : PALETTE[index % PALETTE.length];
  }

  function badge(text, tone, title) {
    return el('span', { class: `badge badge-${tone}`, title }, text);
  }

  function circuitBadge(circuit) {
    const tone = { closed: 'ok', half_open: 'warn', open: 'bad' }[circuit.state] ?? 'muted';
    const title = circuit.consecutive_failures > 0 ? `${circuit.consecutive_failures} consecutive failures` : undefined;
    return badge(VM.circuitText(circuit), tone, title);
  }

  function modelById(modelId) {
    return data.models.find((m) => m.id === modelId) ?? null;
  }

  function swatch(modelId) {
    const node = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    node.style.background = colorOf(modelId);
    return node;
  }

  // ---- loading ----------------------------------------------------------------------------

  async function load() {
    const mine = ++generation;
    document.body.dataset.state = 'loading';
    const range = VM.RANGES[state.granularity];
    const period = { time_range: range, granularity: state.granularity };
    try {
      const [models, overview, recent, kinds] = await Promise.all([
        api('/api/models'),
        api(`/api/models/performance?${new URLSearchParams(period)}`),
        api('/api/models/requests?limit=50'),
        api('/api/models/routing/kinds'),
      ]);
      const taskType = state.taskType ?? VM.busiestTaskType(overview.models);
      const [report, routing] = await Promise.all([
        api(`/api/models/performance?${new URLSearchParams({ ...period, task_type: taskType })}`),
        api(`/api/models/routing?${new URLSearchParams({ task_type: taskType })}`),
      ]);
      if (mine !== generation) return;
      state.taskType = taskType;
      data = {
        models: models.models,
        overview: overview.models,
        report: report.models,
        routing,
        recent: recent.requests,
        kinds: kinds.kinds,
        coloured: VM.colouredModels(models.models, overview.models),
        loadedAt: new Date(),
      };
      if (state.modelId && !modelById(state.modelId)) state.modelId = '';
      writeState();
      render();
      showError(null);
      document.body.dataset.state = 'ready';
    } catch (error) {
      if (mine !== generation) return;
      showError(error);
      document.body.dataset.state = 'error';
    }
  }

  function showError(error) {
    const banner = byId('error');
    banner.hidden = error === null;
    banner.textContent = error === null ? '' : `Could not load the page's data: ${error.message}`;
  }

  // ---- rendering --------------------------------------------------------------------------

  function render() {
    renderControls();
    renderSelected();
    renderRanking();
    renderCharts();
    renderModels();
    renderKinds();
    renderRecent();
    byId('updated').textContent = `Updated ${data.loadedAt.toLocaleTimeString()}`;
  }

  function renderControls() {
    const taskSelect = byId('task-type');
    taskSelect.replaceChildren(...VM.taskTypesOf(data.overview, state.taskType).map((type) => el('option', { value: type }, type)));
    taskSelect.value = state.taskType;

    const modelSelect = byId('model');
    modelSelect.replaceChildren(
      el('option', { value: '' }, 'All models'),
      ...[...data.models]
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((m) => el('option', { value: m.id }, m.metadata.available ? m.id : `${m.id} (unavailable)`)),
    );
    modelSelect.value = state.modelId;

    for (const button of document.querySelectorAll('[data-granularity]')) {
      button.setAttribute('aria-pressed', String(button.dataset.granularity === state.granularity));
    }
    byId('range-label').textContent = VM.RANGE_LABELS[state.granularity];
    for (const node of document.querySelectorAll('[data-bind="task-type"]')) node.textContent = state.taskType;
  }

  function renderSelected() {
    const { routing } = data;
    const [top, second] = routing.candidates;
    const body = byId('selected-body');
    if (!top) {
      body.replaceChildren(
        el('p', { class: 'hero-empty' }, 'No model can serve a chat request of this task type.'),
        el('p', { class: 'muted' }, `${routing.rejected.length} models left out; see the reasons beside.`),
      );
      return;
    }
    const model = modelById(top.model_id);
    const { weights } = routing;
    body.replaceChildren(
      el('div', { class: 'hero-model', id: 'selected-model' }, swatch(top.model_id), top.model_id),
      el('div', { class: 'hero-tags' }, badge(top.provider, 'muted'), model ? circuitBadge(model.metadata.circuit) : null),
      el(
        'dl',
        { class: 'stats' },
        stat('Quality', VM.formatScore(top.quality_score)),
        stat('Success rate', VM.formatPercent(top.success_rate)),
        stat('Expected cost / request', VM.formatUsd(top.expected_cost)),
        stat('Utility', VM.formatScore(top.utility)),
      ),
      el(
        'p',
        { class: 'why' },
        `Highest expected utility = ${weights.quality} × quality + ${weights.success_rate} × success rate − ${weights.cost_per_usd} × cost (USD), `,
        `for a chat request expecting ${routing.expected_tokens.completion} completion tokens. `,
        second ? `Ahead of ${second.model_id} by ${VM.formatScore(top.utility - second.utility)}.` : 'The only eligible model.',
      ),
    );
  }

  function stat(label, value) {
    return el('div', { class: 'stat' }, el('dt', null, label), el('dd', null, value));
  }

  function renderRanking() {
    const rows = data.routing.candidates.map((c) => {
      const model = modelById(c.model_id);
      return el(
        'tr',
        { dataset: { modelId: c.model_id }, class: c.model_id === state.modelId ? 'is-focused' : null, onclick: () => selectModel(c.model_id) },
        el('td', { class: 'num' }, c.rank),
        el('td', null, swatch(c.model_id), el('span', { class: 'model-id' }, c.model_id)),
        el('td', null, c.provider),
        el('td', { class: 'num' }, VM.formatScore(c.quality_score)),
        el('td', { class: 'num' }, VM.formatPercent(c.success_rate)),
        el('td', { class: 'num' }, VM.formatUsd(c.expected_cost)),
        el('td', { class: 'num' }, el('meter', { min: 0, max: 1, value: Math.max(0, c.utility), title: c.utility }), ' ', VM.formatScore(c.utility)),
        el('td', null, model ? circuitBadge(model.metadata.circuit) : null),
      );
    });
    byId('ranking-rows').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(8, 'No eligible model.')]));

    const rejected = VM.sortRejections(data.routing.rejected);
    byId('rejected-summary').textContent = `${rejected.length} ${rejected.length === 1 ? 'model' : 'models'} left out, and why`;
    byId('rejected-list').replaceChildren(
      ...rejected.map((r) => el('li', { dataset: { modelId: r.model_id } }, el('span', { class: 'model-id' }, r.model_id), ' ', el('span', { class: 'muted' }, r.reason))),
    );
  }

  function renderCharts() {
    const shown = state.modelId ? data.report.filter((m) => m.model_id === state.modelId) : data.report;
    for (const trend of TRENDS) {
      const series = VM.trendSeries(shown, trend.metric, state.granularity);
      const datasets = series.series.map((s) => ({
        label: s.modelId,
        data: s.data,
        borderColor: colorOf(s.modelId),
        backgroundColor: colorOf(s.modelId),
        spanGaps: true,
        // Monotone curves never overshoot between points (a success rate never looks above 100%).
        cubicInterpolationMode: 'monotone',
        clip: false,
        borderWidth: 2,
        pointRadius: 3,
      }));
      const chart = charts.get(trend.canvas) ?? createChart(trend);
      chart.data.labels = series.labels;
      chart.data.datasets = datasets;
      chart.update();

      const empty = byId(`${trend.canvas}-empty`);
      empty.hidden = datasets.length > 0;
      empty.textContent = `No roll-ups for ${state.modelId || 'any model'} in ${state.taskType} over the ${VM.RANGE_LABELS[state.granularity]}.`;
    }
  }

  function createChart(trend) {
    const chart = new window.Chart(byId(trend.canvas), {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        layout: { padding: { top: 6, right: 6 } },
        interaction: { mode: 'index', intersect: false },
        scales: {
          y: { min: 0, max: 1, ticks: { callback: trend.tick }, grid: { color: '#eef0f4' } },
          x: { grid: { display: false } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true, pointStyle: 'circle', boxWidth: 8, boxHeight: 8, padding: 16 } },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${trend.format(ctx.parsed.y)}` } },
        },
      },
    });
    charts.set(trend.canvas, chart);
    return chart;
  }

  function renderModels() {
    const card = byId('models-card');
    const parts = state.modelId ? modelDetail(modelById(state.modelId)) : modelTable();
    card.replaceChildren(...parts.filter((part) => part !== null));
  }

  function modelTable() {
    const { shown, hidden } = VM.modelRows(data.models, data.report, state.taskType);
    const rows = shown.map(({ model, quality, successRate, samples }) =>
      el(
        'tr',
        { dataset: { modelId: model.id }, onclick: () => selectModel(model.id) },
        el('td', null, swatch(model.id), el('span', { class: 'model-id' }, model.id)),
        el('td', null, model.provider),
        el('td', null, availabilityBadge(model)),
        el('td', null, circuitBadge(model.metadata.circuit)),
        el('td', { class: 'num' }, VM.formatScore(quality)),
        el('td', { class: 'num' }, VM.formatPercent(successRate)),
        el('td', { class: 'num' }, samples),
        el('td', { class: 'num' }, `${VM.formatUsd(model.properties.pricing.input)} · ${VM.formatUsd(model.properties.pricing.output)}`),
      ),
    );
    return [
      el('header', { class: 'card-head' }, el('h2', null, 'Models'), el('span', { class: 'muted' }, `scores for ${state.taskType}; click a model for its detail`)),
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { id: 'models-table' },
          el(
            'thead',
            null,
            el(
              'tr',
              null,
              ...['Model', 'Provider', 'Status', 'Circuit', 'Quality', 'Success', 'Samples', 'Price / 1K in · out'].map((h, i) => el('th', { class: i >= 4 ? 'num' : null }, h)),
            ),
          ),
          el('tbody', null, rows.length > 0 ? rows : emptyRow(8, 'No models.')),
        ),
      ),
      hidden.length > 0
        ? el(
            'details',
            { class: 'left-out' },
            el('summary', null, `${hidden.length} unavailable ${hidden.length === 1 ? 'model' : 'models'} without history`),
            el('ul', null, ...hidden.map(({ model }) => el('li', null, el('span', { class: 'model-id' }, model.id), ' ', el('span', { class: 'muted' }, model.metadata.unavailable_reason ?? '')))),
          )
        : null,
    ];
  }

  function availabilityBadge(model) {
    return model.metadata.available ? badge('available', 'ok') : badge('unavailable', 'muted', model.metadata.unavailable_reason);
  }

  function modelDetail(model) {
    const overview = data.overview.find((m) => m.model_id === model.id);
    const candidate = data.routing.candidates.find((c) => c.model_id === model.id);
    const rejection = data.routing.rejected.find((r) => r.model_id === model.id);
    const standing = candidate
      ? `Rank ${candidate.rank} of ${data.routing.candidates.length} for ${state.taskType}.`
      : `Not a candidate for ${state.taskType}: ${rejection ? rejection.reason : 'it cannot serve chat requests'}.`;
    const tasks = overview ? Object.entries(overview.metrics.task_specific) : [];
    return [
      el(
        'header',
        { class: 'card-head' },
        el('h2', null, swatch(model.id), el('span', { id: 'model-detail-id' }, model.id)),
        el('button', { type: 'button', class: 'link', onclick: () => selectModel('') }, '← All models'),
      ),
      el('div', { class: 'hero-tags' }, badge(model.provider, 'muted'), availabilityBadge(model), circuitBadge(model.metadata.circuit)),
      el('p', { id: 'model-standing' }, standing),
      model.metadata.description ? el('p', { class: 'muted' }, model.metadata.description) : null,
      el(
        'dl',
        { class: 'stats' },
        stat('Overall quality', VM.formatScore(overview?.metrics.overall_quality)),
        stat('Overall success', VM.formatPercent(overview?.metrics.success_rate)),
        stat('Input / 1K', VM.formatUsd(model.properties.pricing.input)),
        stat('Output / 1K', VM.formatUsd(model.properties.pricing.output)),
      ),
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { id: 'model-tasks' },
          el('thead', null, el('tr', null, el('th', null, 'Task type'), el('th', { class: 'num' }, 'Quality'), el('th', { class: 'num' }, 'Success'), el('th', { class: 'num' }, `Samples (${VM.RANGE_LABELS[state.granularity]})`))),
          el(
            'tbody',
            null,
            tasks.length > 0
              ? tasks.map(([type, m]) =>
                  el(
                    'tr',
                    { class: type === state.taskType ? 'is-focused' : null },
                    el('td', null, type),
                    el('td', { class: 'num' }, VM.formatScore(m.quality_score)),
                    el('td', { class: 'num' }, VM.formatPercent(m.success_rate)),
                    el('td', { class: 'num' }, m.sample_count),
                  ),
                )
              : emptyRow(4, 'No history yet: routing uses the registered baseline.'),
          ),
        ),
      ),
    ];
  }

  /** Each learned kind with its hint and current winner; a click shows it as the task type. */
  function renderKinds() {
    byId('kinds-rows').replaceChildren(
      ...(data.kinds.length > 0
        ? data.kinds.map((k) =>
            el(
              'tr',
              { dataset: { kind: k.task_type }, onclick: () => selectTaskType(k.task_type) },
              el('td', null, el('code', null, k.task_type)),
              el('td', null, k.hint.join(', ')),
              el('td', { class: 'num' }, String(k.requests)),
              el('td', null, k.selected_model_id ?? '—'),
            ),
          )
        : [emptyRow(4, 'No requests without a task type yet.')]),
    );
  }

  function renderRecent() {
    const rows = state.modelId ? data.recent.filter((r) => VM.involves(r, state.modelId)) : data.recent;
    byId('recent-scope').textContent = state.modelId ? `involving ${state.modelId}` : 'all models, newest first';
    byId('recent-rows').replaceChildren(
      ...(rows.length > 0
        ? rows.map((r) =>
            el(
              'tr',
              { dataset: { requestId: r.request_id } },
              el('td', { title: r.created_at }, new Date(r.created_at).toLocaleString()),
              el('td', null, el('code', null, r.request_id)),
              el('td', null, r.outcome === 'failed' ? badge('failed', 'bad') : badge('fallback', 'warn')),
              el('td', null, r.task_type),
              el('td', null, modelPath(r)),
              el('td', { class: 'error-text' }, errorText(r)),
            ),
          )
        : [emptyRow(6, 'No failures or fallbacks.')]),
    );
  }

  /** The models a request went through: each failed one struck through, then the one that answered. */
  function modelPath(request) {
    const parts = request.attempts.map((a) => el('s', { title: a.error.code }, a.model_id));
    if (request.outcome === 'fallback' && request.model_id) parts.push(el('strong', null, request.model_id));
    if (parts.length === 0 && request.model_id) parts.push(el('span', null, request.model_id));
    return parts.flatMap((part, i) => (i === 0 ? [part] : [' → ', part]));
  }

  function errorText(request) {
    if (request.outcome === 'failed') return `${request.error_code ?? 'error'}: ${request.error_message ?? ''}`;
    return request.attempts.map((a) => `${a.model_id}: ${a.error.code}${a.error.status ? ` (${a.error.status})` : ''}`).join('; ');
  }

  function emptyRow(columns, text) {
    return el('tr', { class: 'empty-row' }, el('td', { colspan: columns }, text));
  }

  // ---- interaction ------------------------------------------------------------------------

  function selectTaskType(taskType) {
    state.taskType = taskType;
    void load();
  }

  function selectModel(modelId) {
    state.modelId = modelId;
    writeState();
    render();
  }

  function wire() {
    byId('task-type').addEventListener('change', (event) => selectTaskType(event.target.value));
    byId('model').addEventListener('change', (event) => selectModel(event.target.value));
    for (const button of document.querySelectorAll('[data-granularity]')) {
      button.addEventListener('click', () => {
        state.granularity = button.dataset.granularity;
        void load();
      });
    }
    byId('refresh').addEventListener('click', () => void load());
    setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, REFRESH_MS);
  }

  wire();
  void load();
})();
