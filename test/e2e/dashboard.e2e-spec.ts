import SwaggerParser from '@apidevtools/swagger-parser';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { recordObservations, registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

/** Debian's chromium, installed by the test set-up (scripts/lib.sh `ensure_chromium`); playwright never downloads a browser. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** CI keeps this folder as an artifact. */
const ARTIFACTS = join(__dirname, '..', 'artifacts');
/** The README's picture, rewritten only on request: `UPDATE_README_SCREENSHOT=1 npx jest test/e2e/dashboard`. */
const README_SCREENSHOT = join(__dirname, '..', '..', 'docs', 'images', 'dashboard.png');

const DAY = 24 * 60 * 60 * 1000;
const DAYS_AGO = [5, 4, 3, 2, 1];

type Granularity = 'day' | 'week' | 'month';
interface Seed {
  /** One rated success per day, oldest first. */
  quality: number[];
  /** Days (index into DAYS_AGO) with one more observation: a failure without a rating. */
  failedOn: number[];
}

/** What the page must draw: per model and task type, five days of history. */
const SEEDS: Record<string, Record<string, Seed>> = {
  'ace-coder': {
    code_generation: { quality: [0.78, 0.82, 0.85, 0.88, 0.91], failedOn: [2] },
    summarization: { quality: [0.42, 0.45, 0.4, 0.44, 0.41], failedOn: [] },
  },
  'brief-writer': {
    code_generation: { quality: [0.52, 0.55, 0.5, 0.56, 0.54], failedOn: [0] },
    summarization: { quality: [0.8, 0.83, 0.86, 0.84, 0.89], failedOn: [3] },
  },
  'flaky-giant': {
    code_generation: { quality: [0.7, 0.72, 0.69, 0.74, 0.73], failedOn: [0, 2, 3] },
  },
};

/** UTC period starts as Postgres' date_trunc computes them (weeks start on Monday). */
function periodStart(at: Date, granularity: Granularity): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), granularity === 'month' ? 1 : at.getUTCDate()));
  if (granularity === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString();
}

/** The trends the seeds make, computed apart from the service: per model, period label -> [quality, success rate]. */
function expectedTrends(taskType: string, granularity: Granularity, seededAt: number): Map<string, Map<string, [number, number]>> {
  const byModel = new Map<string, Map<string, [number, number]>>();
  for (const [modelId, tasks] of Object.entries(SEEDS)) {
    const seed = tasks[taskType];
    if (!seed) continue;
    const buckets = new Map<string, { quality: number; rated: number; successes: number; outcomes: number }>();
    DAYS_AGO.forEach((ago, i) => {
      const label = periodStart(new Date(seededAt - ago * DAY), granularity).slice(0, granularity === 'month' ? 7 : 10);
      const bucket = buckets.get(label) ?? { quality: 0, rated: 0, successes: 0, outcomes: 0 };
      bucket.quality += seed.quality[i];
      bucket.rated += 1;
      bucket.successes += 1;
      bucket.outcomes += seed.failedOn.includes(i) ? 2 : 1;
      buckets.set(label, bucket);
    });
    byModel.set(modelId, new Map([...buckets].map(([label, b]) => [label, [b.quality / b.rated, b.successes / b.outcomes]])));
  }
  return byModel;
}

interface ChartData {
  labels: string[];
  datasets: { label: string; data: (number | null)[] }[];
}

/** What Chart.js holds for the two trend charts, read through its own registry. */
function readCharts(page: Page): Promise<{ quality: ChartData; success: ChartData }> {
  return page.evaluate(() => {
    // Runs in the page; the project compiles without DOM types.
    const browserWindow = globalThis as any;
    const read = (id: string) => {
      const chart = browserWindow.Chart.getChart(browserWindow.document.getElementById(id));
      return { labels: [...chart.data.labels], datasets: chart.data.datasets.map((d: any) => ({ label: d.label, data: [...d.data] })) };
    };
    return { quality: read('quality-chart'), success: read('success-chart') };
  });
}

/** Per model, period label -> the value drawn there (periods without a point are left out). */
function pointsOf(chart: ChartData): Map<string, Map<string, number>> {
  return new Map(
    chart.datasets.map((d) => [d.label, new Map(chart.labels.flatMap((label, i) => (d.data[i] === null ? [] : [[label, d.data[i]] as const])))]),
  );
}

function expectPointsToEqual(actual: Map<string, Map<string, number>>, expected: Map<string, Map<string, number>>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [modelId, points] of expected) {
    const drawn = actual.get(modelId)!;
    expect([...drawn.keys()]).toEqual([...points.keys()]);
    for (const [label, value] of points) expect(drawn.get(label)).toBeCloseTo(value, 6);
  }
}

describe('performance page (/dashboard) in headless Chromium', () => {
  let service: TestApp;
  let openai: FakeServer;
  let browser: Browser;
  let page: Page;
  let seededAt: number;
  const requestedUrls: string[] = [];
  const pageErrors: string[] = [];
  const http = (method: string, path: string, options?: Parameters<typeof request>[3]) => request(service.baseUrl, method, path, options);
  const chat = (id: string, body: Record<string, unknown>) =>
    http('POST', '/api/models/chat', { headers: { 'X-Request-Id': id }, body: { messages: [{ role: 'user', content: 'hello' }], ...body } });
  const ready = () => page.waitForSelector('body[data-state="ready"]');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the test set-up installs Debian's chromium (bash -c 'source scripts/lib.sh && ensure_chromium')`);
    openai = await startFakeOpenAi();
    // One retryable failure opens a circuit, for an hour: the page shows an open breaker.
    service = await startTestApp({ ROUTING_BREAKER_THRESHOLD: '1', ROUTING_BREAKER_COOLDOWN_SECONDS: '3600' });
    const register = (model_id: string, quality: number, pricing: { input: number; output: number }, task_specific: Record<string, number>) =>
      registerModel(service, { model_id, provider: 'openai', capabilities: ['chat'], api_url: openai.url, api_key: 'sk-test-dashboard', quality, task_specific, pricing });
    await register('ace-coder', 0.8, { input: 0.0005, output: 0.0015 }, { code_generation: 0.85, summarization: 0.45 });
    await register('brief-writer', 0.6, { input: 0.0002, output: 0.0006 }, { code_generation: 0.55, summarization: 0.85 });
    await register('flaky-giant', 0.7, { input: 0.005, output: 0.015 }, { code_generation: 0.75 });

    seededAt = Date.now();
    await recordObservations(
      service,
      Object.entries(SEEDS).flatMap(([modelId, tasks]) =>
        Object.entries(tasks).flatMap(([taskType, seed]) =>
          DAYS_AGO.flatMap((ago, i) => [
            { modelId, taskType, success: true, quality: seed.quality[i], agoMs: ago * DAY },
            ...(seed.failedOn.includes(i) ? [{ modelId, taskType, success: false, quality: null, agoMs: ago * DAY }] : []),
          ]),
        ),
      ),
    );

    // A fallback and a failure through real requests (task type `general`, so the seeded trends stay as seeded).
    openai.behave('flaky-giant', { error: { status: 503, message: 'upstream overloaded' } });
    expect((await chat('dash-fallback-1', { model_id: 'flaky-giant' })).status).toBe(200);
    openai.behave('brief-writer', { error: { status: 401, message: 'invalid api key' } });
    expect((await chat('dash-failed-1', { model_id: 'brief-writer' })).status).toBe(502);
    openai.reset();
    expect((await http('POST', '/api/admin/performance/rollup', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (r) => requestedUrls.push(r.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await openai?.close();
  });

  describe('the public JSON behind the page', () => {
    it('ranks candidates for a task type with the inputs of the decision, and leaves out an open circuit', async () => {
      const { status, body } = await http('GET', '/api/models/routing?task_type=code_generation');
      expect(status).toBe(200);
      expect(body).toMatchObject({
        task_type: 'code_generation',
        selected_model_id: 'ace-coder',
        expected_tokens: { prompt: 0, completion: 512 },
        weights: { quality: 0.65, success_rate: 0.35, cost_per_usd: 1 },
      });
      expect(body.candidates.map((c: { model_id: string }) => c.model_id)).toEqual(['ace-coder', 'brief-writer']);
      expect(body.rejected).toContainEqual({ model_id: 'flaky-giant', reason: expect.stringMatching(/^circuit open until .* after 1 consecutive failures$/) });

      const { body: report } = await http('GET', '/api/models/performance?task_type=code_generation');
      for (const candidate of body.candidates) {
        const scores = report.models.find((m: { model_id: string }) => m.model_id === candidate.model_id).metrics.task_specific.code_generation;
        expect(candidate.quality_score).toBeCloseTo(scores.quality_score, 5);
        expect(candidate.success_rate).toBeCloseTo(scores.success_rate, 5);
        expect(candidate.utility).toBeCloseTo(0.65 * candidate.quality_score + 0.35 * candidate.success_rate - candidate.expected_cost, 5);
      }
      const ace = body.candidates[0];
      expect(ace.expected_cost).toBeCloseTo((512 * 0.0015) / 1000, 9);

      const summaries = await http('GET', '/api/models/routing?task_type=summarization');
      expect(summaries.body.selected_model_id).toBe('brief-writer');
    });

    it('answers 400 naming the field for a missing or malformed task type and for unknown parameters', async () => {
      for (const query of ['', '?task_type=Code!', '?task_type=code_generation&model_id=ace-coder']) {
        const { status, body } = await http('GET', `/api/models/routing${query}`);
        expect(status).toBe(400);
        expect(body.error.code).toBe('validation_failed');
      }
      expect(Object.keys((await http('GET', '/api/models/routing')).body.error.details.fields)).toEqual(['task_type']);
      expect(Object.keys((await http('GET', '/api/models/routing?task_type=code_generation&model_id=x')).body.error.details.fields)).toEqual(['model_id']);
    });

    it('lists recent failures and fallbacks newest first, filtered by outcome and bounded by limit', async () => {
      const all = await http('GET', '/api/models/requests');
      expect(all.status).toBe(200);
      expect(all.body.requests.map((r: { request_id: string }) => r.request_id)).toEqual(['dash-failed-1', 'dash-fallback-1']);
      expect(all.body.requests[0]).toEqual({
        request_id: 'dash-failed-1',
        outcome: 'failed',
        status: 'failed',
        task_type: 'general',
        requested_model_id: 'brief-writer',
        model_id: 'brief-writer',
        provider: 'openai',
        error_code: 'provider_error',
        error_message: expect.stringContaining('invalid api key'),
        attempts: [{ model_id: 'brief-writer', provider: 'openai', error: { code: 'unauthorized', message: expect.any(String), retryable: false, status: 401 } }],
        created_at: expect.any(String),
        completed_at: expect.any(String),
      });
      expect(all.body.requests[1]).toMatchObject({
        request_id: 'dash-fallback-1',
        outcome: 'fallback',
        status: 'completed',
        requested_model_id: 'flaky-giant',
        model_id: 'ace-coder',
        error_code: null,
        attempts: [{ model_id: 'flaky-giant', error: { code: 'server_error', retryable: true, status: 503 } }],
      });

      const ids = async (query: string) => (await http('GET', `/api/models/requests${query}`)).body.requests.map((r: { request_id: string }) => r.request_id);
      expect(await ids('?outcome=failed')).toEqual(['dash-failed-1']);
      expect(await ids('?outcome=fallback')).toEqual(['dash-fallback-1']);
      expect(await ids('?limit=1')).toEqual(['dash-failed-1']);
      // The list does not shadow one request's status.
      expect((await http('GET', '/api/models/requests/dash-fallback-1')).body).toMatchObject({ completion_id: 'dash-fallback-1', status: 'completed' });
    });

    it('answers 400 naming the field for a bad outcome or limit and for unknown parameters', async () => {
      for (const [query, field] of [
        ['?outcome=cancelled', 'outcome'],
        ['?limit=0', 'limit'],
        ['?limit=101', 'limit'],
        ['?limit=ten', 'limit'],
        ['?limit=2.5', 'limit'],
        ['?status=failed', 'status'],
      ]) {
        const { status, body } = await http('GET', `/api/models/requests${query}`);
        expect([query, status]).toEqual([query, 400]);
        expect(Object.keys(body.error.details.fields)).toEqual([field]);
      }
    });

    it('documents both endpoints in the OpenAPI document, and not the page', async () => {
      const openApi: any = await (await fetch(`${service.baseUrl}/docs-json`)).json();
      await expect(SwaggerParser.validate(structuredClone(openApi))).resolves.toBeDefined();
      expect(Object.keys(openApi.paths['/api/models/routing'])).toEqual(['get']);
      expect(Object.keys(openApi.paths['/api/models/requests'])).toEqual(['get']);
      expect(openApi.paths['/api/models/requests/{id}']).toBeDefined();
      expect(openApi.components.schemas.RoutingPreviewView.required).toEqual(
        expect.arrayContaining(['task_type', 'selected_model_id', 'weights', 'candidates', 'rejected']),
      );
      expect(Object.keys(openApi.paths).filter((path) => path.startsWith('/dashboard'))).toEqual([]);
    });

    it('serves the page, its scripts and Chart.js from this service only, and nothing else', async () => {
      for (const path of ['/dashboard', '/dashboard/']) {
        const html = await fetch(`${service.baseUrl}${path}`);
        expect([path, html.status]).toEqual([path, 200]);
        expect(html.headers.get('content-type')).toMatch(/^text\/html/);
        expect(html.headers.get('content-security-policy')).toContain("connect-src 'self'");
      }
      const chartJs = await fetch(`${service.baseUrl}/dashboard/chart.umd.js`);
      expect(chartJs.status).toBe(200);
      expect(chartJs.headers.get('content-type')).toMatch(/javascript/);
      expect(await chartJs.text()).toContain('Chart.js v4.6.1');

      for (const path of ['/dashboard/package.json', '/dashboard/..%2F..%2Fpackage.json', '/dashboard/dashboard.controller.ts']) {
        const { status, body } = await http('GET', path);
        expect([path, status, body.error.code]).toEqual([path, 404, 'not_found']);
      }
    });
  });

  describe('in the browser', () => {
    it('loads /dashboard and draws the seeded trends, exactly as the API reports them', async () => {
      await page.goto(`${service.baseUrl}/dashboard?task_type=code_generation`);
      await ready();
      const charts = await readCharts(page);

      const expected = expectedTrends('code_generation', 'day', seededAt);
      expectPointsToEqual(pointsOf(charts.quality), new Map([...expected].map(([id, points]) => [id, new Map([...points].map(([l, [q]]) => [l, q]))])));
      expectPointsToEqual(pointsOf(charts.success), new Map([...expected].map(([id, points]) => [id, new Map([...points].map(([l, [, s]]) => [l, s]))])));
      expect(charts.quality.labels).toHaveLength(DAYS_AGO.length);

      const { body: report } = await http('GET', '/api/models/performance?task_type=code_generation&time_range=30d&granularity=day');
      const withTrends = report.models.filter((m: any) => m.trends.periods.length > 0);
      expect(charts.quality.datasets.map((d) => d.label)).toEqual(withTrends.map((m: any) => m.model_id));
      for (const model of withTrends) {
        const dataset = charts.quality.datasets.find((d) => d.label === model.model_id)!;
        expect(dataset.data).toEqual(model.trends.quality_trend);
        expect(charts.success.datasets.find((d) => d.label === model.model_id)!.data).toEqual(model.trends.success_trend);
        expect(charts.quality.labels).toEqual(model.trends.periods.map((p: string) => p.slice(0, 10)));
      }
    });

    it('shows the model routing selects and why, the open circuit, and the recent failure and fallback', async () => {
      expect(await page.locator('#ranking-rows tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model-id')))).toEqual(['ace-coder', 'brief-writer']);
      expect(await page.textContent('#selected-model')).toBe('ace-coder');
      expect(await page.textContent('#selected-body .why')).toContain('Ahead of brief-writer');
      expect(await page.textContent('#rejected-list li[data-model-id="flaky-giant"]')).toMatch(/circuit open until/);
      expect(await page.textContent('#models-table tr[data-model-id="flaky-giant"]')).toMatch(/open until \d\d:\d\d:\d\d UTC/);
      expect(await page.textContent('#models-table tr[data-model-id="ace-coder"]')).toContain('closed');

      const failed = page.locator('#recent-rows tr[data-request-id="dash-failed-1"]');
      expect(await failed.textContent()).toMatch(/dash-failed-1.*failed.*provider_error/);
      expect(await page.textContent('#recent-rows tr[data-request-id="dash-fallback-1"]')).toMatch(/fallback.*flaky-giant → ace-coder.*server_error \(503\)/);

      // Both requests named no task type: they were routed as the kind learned from their prompt.
      const kind = await page.textContent('#kinds-rows tr[data-kind="kind-00"]');
      expect(kind).toMatch(/^kind-00hello2/);
    });

    it('changes the view with the task type selector', async () => {
      await page.selectOption('#task-type', 'summarization');
      await ready();
      expect(page.url()).toContain('task_type=summarization');
      expect(await page.textContent('#selected-model')).toBe('brief-writer');
      const charts = await readCharts(page);
      const expected = expectedTrends('summarization', 'day', seededAt);
      expectPointsToEqual(pointsOf(charts.quality), new Map([...expected].map(([id, points]) => [id, new Map([...points].map(([l, [q]]) => [l, q]))])));
    });

    it('changes the view with the model selector: only its trends, its detail and its failures', async () => {
      await page.selectOption('#model', 'brief-writer');
      expect(page.url()).toContain('model=brief-writer');
      const charts = await readCharts(page);
      const expected = expectedTrends('summarization', 'day', seededAt).get('brief-writer')!;
      expect(charts.quality.datasets.map((d) => d.label)).toEqual(['brief-writer']);
      expectPointsToEqual(pointsOf(charts.quality), new Map([['brief-writer', new Map([...expected].map(([l, [q]]) => [l, q]))]]));
      expectPointsToEqual(pointsOf(charts.success), new Map([['brief-writer', new Map([...expected].map(([l, [, s]]) => [l, s]))]]));

      expect(await page.textContent('#model-detail-id')).toBe('brief-writer');
      expect(await page.textContent('#models-card')).not.toContain('null');
      expect(await page.textContent('#model-standing')).toBe('Rank 1 of 2 for summarization.');
      expect(await page.locator('#recent-rows tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-request-id')))).toEqual(['dash-failed-1']);
      expect(await page.getAttribute('#ranking-rows tr[data-model-id="brief-writer"]', 'class')).toBe('is-focused');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-model.png'), fullPage: true });

      await page.selectOption('#model', 'flaky-giant');
      expect(await page.textContent('#model-standing')).toMatch(/^Not a candidate for summarization: /);
      expect((await readCharts(page)).quality.datasets).toEqual([]);
      expect(await page.isVisible('#quality-chart-empty')).toBe(true);
    });

    it('switches trends to weekly roll-ups', async () => {
      await page.selectOption('#model', '');
      await page.selectOption('#task-type', 'code_generation');
      await ready();
      await page.click('button[data-granularity="week"]');
      await ready();
      expect(await page.getAttribute('button[data-granularity="week"]', 'aria-pressed')).toBe('true');
      const charts = await readCharts(page);
      const expected = expectedTrends('code_generation', 'week', seededAt);
      expectPointsToEqual(pointsOf(charts.success), new Map([...expected].map(([id, points]) => [id, new Map([...points].map(([l, [, s]]) => [l, s]))])));
      expectPointsToEqual(pointsOf(charts.quality), new Map([...expected].map(([id, points]) => [id, new Map([...points].map(([l, [q]]) => [l, q]))])));
    });

    it('saves a screenshot as a CI artifact, loading nothing from outside the service and logging no error', async () => {
      await page.goto(`${service.baseUrl}/dashboard?task_type=code_generation`);
      await ready();
      mkdirSync(ARTIFACTS, { recursive: true });
      const screenshot = join(ARTIFACTS, 'dashboard.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(existsSync(screenshot)).toBe(true);
      if (process.env.UPDATE_README_SCREENSHOT === '1') {
        mkdirSync(dirname(README_SCREENSHOT), { recursive: true });
        await page.screenshot({ path: README_SCREENSHOT, fullPage: true });
      }

      expect(requestedUrls.length).toBeGreaterThan(0);
      expect(requestedUrls.filter((url) => !url.startsWith(`${service.baseUrl}/`))).toEqual([]);
      expect(pageErrors).toEqual([]);
    });
  });
});
