import parsePrometheusTextFormat, { MetricFamily } from 'parse-prometheus-text-format';
import { EphemeralRedis, waitUntil } from '../../scripts/lib/processes';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

/** Every distinct label set of a family, as `a|b|c` keys of its label values in the given order, mapped to `pick` of the sample. */
function series(families: MetricFamily[], name: string, labels: string[], pick: (s: MetricFamily['metrics'][number]) => string | undefined) {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`metric ${name} is not exported`);
  return Object.fromEntries(family.metrics.map((s) => [labels.map((l) => s.labels?.[l] ?? '').join('|'), Number(pick(s))]));
}

const values = (families: MetricFamily[], name: string, labels: string[]) => series(families, name, labels, (s) => s.value);
const total = (byLabels: Record<string, number>) => Object.values(byLabels).reduce((a, b) => a + b, 0);

/**
 * parse-prometheus-text-format 1.1.1 folds the series of a histogram with labels into one and drops
 * their labels, `_sum` and `_count` (yunyu/parse-prometheus-text-format#13). Such a histogram's
 * samples are read from a second parse of the same text in which histograms are declared untyped,
 * so that `<name>_bucket`, `_sum` and `_count` come out as plain series with their labels.
 */
function histogramSamples(text: string, name: string, suffix: 'bucket' | 'sum' | 'count'): MetricFamily[] {
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const samples = parsePrometheusTextFormat(untyped)
    .filter((f) => f.name === `${name}_${suffix}`)
    .flatMap((f) => f.metrics);
  return [{ name, help: '', type: 'UNTYPED', metrics: samples }];
}

/** m-main answers after this long, so its requests' duration is at least that while their overhead is not. */
const MAIN_DELAY_MS = 300;

describe('GET /metrics', () => {
  let redis: EphemeralRedis;
  let service: TestApp;
  let openai: FakeServer;
  const bodies: Record<string, any> = {};

  const chat = (id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { messages: [{ role: 'user', content: `request ${id}` }], ...body },
      headers: { 'X-Request-Id': id, ...headers },
    });
  const statusOf = async (id: string) => (await request(service.baseUrl, 'GET', `/api/models/requests/${id}`)).body;
  const cancel = (id: string) =>
    request(service.baseUrl, 'POST', `/api/admin/requests/${id}/cancel`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

  async function scrape(app: TestApp = service): Promise<{ text: string; families: MetricFamily[] }> {
    const response = await fetch(`${app.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    // Prometheus' text format 0.0.4 (parameter order is free; Express puts the charset first).
    const [mediaType, ...parameters] = response.headers.get('content-type')!.split(/;\s*/);
    expect(mediaType).toBe('text/plain');
    expect(parameters.sort()).toEqual(['charset=utf-8', 'version=0.0.4']);
    const text = await response.text();
    return { text, families: parsePrometheusTextFormat(text) };
  }

  beforeAll(async () => {
    redis = await EphemeralRedis.start();
    openai = await startFakeOpenAi();
    service = await startTestApp({ REDIS_URL: redis.url, METRICS_MAX_TASK_TYPES: '4', ASYNC_CONCURRENCY: '1' });
    const openaiModel = { provider: 'openai' as const, api_url: openai.url, api_key: 'sk-metrics-test' };
    await registerModel(service, { ...openaiModel, model_id: 'm-main', capabilities: ['chat'], pricing: { input: 0.001, output: 0.002 } });
    await registerModel(service, { ...openaiModel, model_id: 'm-flaky', capabilities: ['chat', 'fb'], quality: 0.9 });
    await registerModel(service, { ...openaiModel, model_id: 'm-backup', capabilities: ['chat', 'fb'], pricing: { input: 0.01, output: 0.03 } });
    await registerModel(service, { ...openaiModel, model_id: 'm-broken', capabilities: ['chat', 'broken'], quality: 0.9 });
    await registerModel(service, { ...openaiModel, model_id: 'm-broken2', capabilities: ['chat', 'broken'] });
    await registerModel(service, { ...openaiModel, model_id: 'm-slow', capabilities: ['chat'], pricing: { input: 0.5, output: 1 } });
    await registerModel(service, { ...openaiModel, model_id: 'm-embed', capabilities: ['embedding'], pricing: { input: 0.0001, output: 0 } });
    openai.behave('m-main', { text: 'fine', usage: { input: 10, output: 5 }, delayMs: MAIN_DELAY_MS });
    openai.behave('m-flaky', { error: { status: 500, message: 'flaky upstream' } });
    openai.behave('m-backup', { text: 'backup answer', usage: { input: 7, output: 3 } });
    openai.behave('m-broken', { error: { status: 500, message: 'down' } });
    openai.behave('m-broken2', { error: { status: 500, message: 'down too' } });
    openai.behave('m-slow', { delayMs: 30_000 });
    openai.behave('m-embed', { usage: { input: 6, output: 0 } });
  });

  afterAll(async () => {
    await service.close();
    await openai.close();
    await redis.stop();
  });

  it('serves a parsable exposition with default process metrics before any request', async () => {
    const { families } = await scrape();
    const names = families.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'mos_requests_total']));
    expect(families.find((f) => f.name === 'mos_requests_total')).toMatchObject({ type: 'COUNTER', metrics: [] });
    expect(values(families, 'mos_metrics_collector_up', ['collector'])).toEqual({ circuits: 1, outbox: 1, queues: 1 });
  });

  it('counts a scripted set of successes, a fallback, failures and cancels exactly', async () => {
    // Successes (two task types, one request without: "general").
    for (const [id, taskType] of [['metrics-s1', 'code_generation'], ['metrics-s2', 'code_generation'], ['metrics-s3', undefined]] as const) {
      const { status } = await chat(id, { model_id: 'm-main', fallback: false, task_type: taskType, metadata: { user_id: 'user-secret-42' } });
      expect(status).toBe(200);
    }
    // A fallback that succeeds: m-flaky answers 500, m-backup (the only other model with "fb") answers.
    const fallback = await chat('metrics-fb', { model_id: 'm-flaky', task_type: 'summarization', requirements: { capabilities: ['fb'] } });
    expect(fallback.status).toBe(200);
    expect(fallback.body.model.id).toBe('m-backup');
    // A fallback that fails too: both "broken" models answer 500.
    const doubleFailure = await chat('metrics-f1', { model_id: 'm-broken', task_type: 'reasoning', requirements: { capabilities: ['broken'] } });
    expect(doubleFailure.status).toBe(503);
    expect(doubleFailure.body.error.details.attempts.map((a: any) => a.model_id)).toEqual(['m-broken', 'm-broken2']);
    // Four more failures of m-broken: five consecutive retryable failures open its circuit.
    for (const id of ['metrics-f2', 'metrics-f3', 'metrics-f4', 'metrics-f5']) {
      expect((await chat(id, { model_id: 'm-broken', fallback: false })).status).toBe(503);
    }
    // A fifth task type is past METRICS_MAX_TASK_TYPES=4: counted as "other".
    expect((await chat('metrics-s4', { model_id: 'm-main', fallback: false, task_type: 'creative' })).status).toBe(200);

    // A synchronous request cancelled through the admin endpoint while the provider is still thinking.
    const pending = chat('metrics-cancel', { model_id: 'm-slow', fallback: false });
    await waitUntil(async () => (await statusOf('metrics-cancel')).status === 'running');
    expect((await cancel('metrics-cancel')).body).toEqual({ request_id: 'metrics-cancel', status: 'cancelled' });
    const cancelled = await pending;
    expect(cancelled.body.metadata.finish_reason).toBe('cancelled');
    bodies.cancelled = cancelled.body;

    // Two asynchronous requests with one worker slot: one runs, one waits in the queue.
    const async = { model_id: 'm-slow', fallback: false, task_type: 'batch' };
    expect((await chat('metrics-async-running', async, { Prefer: 'respond-async' })).status).toBe(202);
    await waitUntil(async () => (await statusOf('metrics-async-running')).status === 'running');
    expect((await chat('metrics-async-queued', async, { Prefer: 'respond-async' })).status).toBe(202);

    const during = await scrape();
    expect(values(during.families, 'mos_queue_jobs', ['queue', 'state'])).toMatchObject({
      'inference|waiting': 1,
      'inference|active': 1,
      'inference|delayed': 0,
      'inference|prioritized': 0,
      'inference|paused': 0,
      'inference|failed': 0,
    });
    expect(Object.keys(values(during.families, 'mos_queue_jobs', ['queue', 'state']))).toEqual(
      expect.arrayContaining(['performance|waiting', 'performance|active', 'performance|delayed']),
    );

    expect((await cancel('metrics-async-queued')).body.status).toBe('cancelled');
    expect((await cancel('metrics-async-running')).body.status).toBe('cancelled');
    bodies.asyncCancelled = (await statusOf('metrics-async-running')).result;

    const embeddings = await request(service.baseUrl, 'POST', '/api/models/embeddings', { body: { model_id: 'm-embed', texts: ['a b c'] } });
    expect(embeddings.status).toBe(200);

    // The relay has published every event: no backlog, no lag; the worker is idle.
    await waitUntil(async () => values((await scrape()).families, 'mos_outbox_backlog', [])[''] === 0);
    await waitUntil(async () => values((await scrape()).families, 'mos_queue_jobs', ['queue', 'state'])['inference|active'] === 0);
    const { text, families } = await scrape();

    expect(values(families, 'mos_requests_total', ['model', 'provider', 'task_type', 'outcome'])).toEqual({
      'm-main|openai|code_generation|completed': 2,
      'm-main|openai|general|completed': 1,
      'm-backup|openai|summarization|completed': 1,
      'm-broken2|openai|reasoning|failed': 1,
      'm-broken|openai|general|failed': 4,
      'm-main|openai|other|completed': 1,
      'm-slow|openai|general|cancelled': 1,
      'm-slow|openai|other|cancelled': 1,
      // Cancelled while queued: it never reached a model.
      'none|none|other|cancelled': 1,
    });

    // Every request that ran is in the latency histograms, under the same model and task type.
    expect(families.find((f) => f.name === 'mos_request_duration_seconds')!.type).toBe('HISTOGRAM');
    const durationCounts = values(histogramSamples(text, 'mos_request_duration_seconds', 'count'), 'mos_request_duration_seconds', ['model', 'provider', 'task_type']);
    expect(durationCounts).toEqual({
      'm-main|openai|code_generation': 2,
      'm-main|openai|general': 1,
      'm-backup|openai|summarization': 1,
      'm-broken2|openai|reasoning': 1,
      'm-broken|openai|general': 4,
      'm-main|openai|other': 1,
      'm-slow|openai|general': 1,
      'm-slow|openai|other': 1,
    });
    const overhead = families.find((f) => f.name === 'mos_gateway_overhead_seconds')!;
    expect(overhead.type).toBe('HISTOGRAM');
    expect(Number(overhead.metrics[0].count)).toBe(12);
    expect(Number(overhead.metrics[0].buckets!['+Inf'])).toBe(12);
    // Time waiting on providers is not overhead: m-main alone kept four requests waiting 300 ms each.
    const durationSums = values(histogramSamples(text, 'mos_request_duration_seconds', 'sum'), 'mos_request_duration_seconds', ['model', 'task_type']);
    expect(Number(overhead.metrics[0].sum)).toBeGreaterThan(0);
    expect(Number(overhead.metrics[0].sum)).toBeLessThanOrEqual(total(durationSums) - (4 * MAIN_DELAY_MS) / 1000);
    expect(durationSums['m-main|code_generation']).toBeGreaterThanOrEqual((2 * MAIN_DELAY_MS) / 1000);
    const mainCodeBuckets = values(histogramSamples(text, 'mos_request_duration_seconds', 'bucket'), 'mos_request_duration_seconds', ['model', 'task_type', 'le']);
    expect(mainCodeBuckets).toMatchObject({ 'm-main|code_generation|0.25': 0, 'm-main|code_generation|+Inf': 2 });

    // Tokens and cost: the fake's reported usage, and the cancelled requests' own accounting.
    const cancelledUsage = [bodies.cancelled.usage, bodies.asyncCancelled.usage];
    expect(values(families, 'mos_tokens_total', ['model', 'kind'])).toEqual({
      'm-main|prompt': 40,
      'm-main|completion': 20,
      'm-backup|prompt': 7,
      'm-backup|completion': 3,
      'm-slow|prompt': cancelledUsage[0].prompt_tokens + cancelledUsage[1].prompt_tokens,
      'm-slow|completion': cancelledUsage[0].completion_tokens + cancelledUsage[1].completion_tokens,
      'm-embed|prompt': 6,
    });
    const cost = values(families, 'mos_estimated_cost_usd_total', ['model', 'provider']);
    expect(Object.keys(cost).sort()).toEqual(['m-backup|openai', 'm-embed|openai', 'm-main|openai', 'm-slow|openai']);
    expect(cost['m-main|openai']).toBeCloseTo(4 * (10 * 0.001 + 5 * 0.002) / 1000, 12);
    expect(cost['m-backup|openai']).toBeCloseTo((7 * 0.01 + 3 * 0.03) / 1000, 12);
    expect(cost['m-slow|openai']).toBeGreaterThan(0);
    expect(cost['m-slow|openai']).toBeCloseTo(cancelledUsage[0].estimated_cost + cancelledUsage[1].estimated_cost, 12);
    expect(cost['m-embed|openai']).toBeCloseTo((6 * 0.0001) / 1000, 12);

    expect(values(families, 'mos_provider_failures_total', ['model', 'provider', 'code'])).toEqual({
      'm-flaky|openai|server_error': 1,
      'm-broken|openai|server_error': 5,
      'm-broken2|openai|server_error': 1,
    });
    expect(values(families, 'mos_fallbacks_total', ['task_type', 'outcome'])).toEqual({ 'summarization|succeeded': 1, 'reasoning|failed': 1 });
    expect(values(families, 'mos_cancellations_total', ['model', 'provider'])).toEqual({ 'm-slow|openai': 2, 'none|none': 1 });
    expect(values(families, 'mos_embedding_requests_total', ['model', 'provider', 'outcome'])).toEqual({ 'm-embed|openai|completed': 1 });

    // Circuit breaker: m-broken failed five times in a row (open); the others are closed.
    expect(values(families, 'mos_circuit_state', ['model'])).toMatchObject({ 'm-broken': 2, 'm-broken2': 0, 'm-flaky': 0, 'm-main': 0 });
    expect(values(families, 'mos_circuit_consecutive_failures', ['model'])).toMatchObject({ 'm-broken': 5, 'm-broken2': 1, 'm-flaky': 1, 'm-main': 0 });

    expect(values(families, 'mos_outbox_backlog', [])).toEqual({ '': 0 });
    expect(values(families, 'mos_outbox_oldest_pending_age_seconds', [])).toEqual({ '': 0 });
    expect(values(families, 'mos_queue_jobs', ['queue', 'state'])).toMatchObject({ 'inference|waiting': 0, 'inference|active': 0 });
  });

  it('labels nothing with a request id or a user id', async () => {
    const { text, families } = await scrape();
    const labelNames = new Set(families.flatMap((f) => f.metrics.flatMap((m) => Object.keys(m.labels ?? {}))));
    expect([...labelNames].filter((name) => /request|user/.test(name))).toEqual([]);
    expect(text).not.toContain('metrics-');
    expect(text).not.toContain('user-secret-42');
  });

  it('still answers while Redis is down: queue depth is left out, the outbox backlog shows the waiting event', async () => {
    await redis.stop();
    try {
      const sentAt = Date.now();
      const served = await chat('metrics-redis-down', { model_id: 'm-main', fallback: false, task_type: 'translation' });
      expect(served.status).toBe(200);

      const { families } = await scrape();
      expect(values(families, 'mos_metrics_collector_up', ['collector'])).toEqual({ circuits: 1, outbox: 1, queues: 0 });
      expect(values(families, 'mos_queue_jobs', ['queue', 'state'])).toEqual({});
      expect(values(families, 'mos_outbox_backlog', [])).toEqual({ '': 1 });
      const lag = values(families, 'mos_outbox_oldest_pending_age_seconds', [])[''];
      expect(lag).toBeGreaterThan(0);
      expect(lag).toBeLessThanOrEqual((Date.now() - sentAt) / 1000 + 1);
      expect(values(families, 'mos_requests_total', ['model', 'task_type', 'outcome'])['m-main|other|completed']).toBe(2);
    } finally {
      await redis.restart();
    }
    await waitUntil(async () => {
      const { families } = await scrape();
      return values(families, 'mos_outbox_backlog', [])[''] === 0 && values(families, 'mos_metrics_collector_up', ['collector']).queues === 1;
    }, 15_000);
  });

  it('keeps each app instance to its own numbers', async () => {
    const other = await startTestApp({ REDIS_URL: redis.url }, service);
    try {
      const { families } = await scrape(other);
      expect(values(families, 'mos_requests_total', ['model'])).toEqual({});
    } finally {
      await other.close();
    }
  });
});
