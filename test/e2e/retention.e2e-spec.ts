import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { RollupProcessor } from '../../src/performance/rollup.processor';
import { RetentionProcessor } from '../../src/retention/retention.processor';
import { PruneResult } from '../../src/retention/retention.service';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const SEEDED_REQUESTS = 200_000;
const WINDOW = `interval '30 days'`; // REQUEST_RETENTION_DAYS' default, which the app runs with here
const LIVE_MODEL = 'retention-live';
const LIVE_REQUESTS = 200;
const WARM_UP_REQUESTS = 1000;
const CONCURRENCY = 10;
/** About 300 tokens (1,500 characters) of varied words, compressing about as well as prose: the size of a typical chat answer. */
const TYPICAL_ANSWER = typicalAnswer(1500);

function typicalAnswer(length: number): string {
  const vocabulary = (
    'the a of to and in is that for it as with was on be by this are from or an which at not have can has but more will one ' +
    'model request answer data value time each first when use used than other into only its also two should new may like then ' +
    'function returns input output list string number error cache query index table row column result user server client token ' +
    'because however therefore example case step next before after while until where why how what some many most every any'
  ).split(' ');
  let seed = 42;
  const words: string[] = [];
  while (words.join(' ').length < length) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    words.push(vocabulary[seed % vocabulary.length]);
  }
  return words.join(' ');
}
const RESULTS_FILE = join(__dirname, '..', '..', 'test-results', 'retention.json');

/**
 * 200,000 requests, half older than the 30-day window and half newer, of every status: 2 % each
 * running and queued (a third of the queued ones were requeued after failing, so they have a
 * model and may have feedback), the rest completed, failed and cancelled in equal parts. About one
 * in seven with a model has feedback (one in fourteen replaced once); one in three finished ones
 * has an automatic observation (cancelled ones none, as in the service); events were published up
 * to three days ago (events still to publish would go out on the shared Redis). Old rows sit at
 * least a day past the window, new ones at least a day inside it, so minutes of test time never
 * move a row across.
 */
async function seed(sql: DataSource): Promise<void> {
  await sql.query(`
    INSERT INTO inference_requests (id, kind, status, task_type, model_id, provider, prompt_tokens, completion_tokens, total_tokens, cost,
                                    latency_ms, finish_reason, error, response, metadata, created_at, completed_at)
    SELECT 'seed-' || g, 'chat', s.status, (ARRAY['code_generation', 'reasoning', 'general'])[1 + g / 3 % 3],
           CASE WHEN s.status = 'running' OR (s.status = 'queued' AND g % 3 <> 0) THEN NULL ELSE 'seed-model' END,
           'openai', 40, 320, 360, 0.00021, 900, CASE s.status WHEN 'completed' THEN 'stop' WHEN 'cancelled' THEN 'cancelled' END,
           CASE WHEN s.status = 'failed' THEN jsonb_build_object('code', 'provider_unavailable', 'message', 'upstream 503', 'details', '{}'::jsonb) END,
           CASE WHEN s.status IN ('completed', 'cancelled') THEN jsonb_build_object(
             'completion_id', 'seed-' || g, 'created_at', a.created_at, 'model', jsonb_build_object('id', 'seed-model', 'provider', 'openai'),
             'content', $1::text, 'usage', jsonb_build_object('prompt_tokens', 40, 'completion_tokens', 320, 'total_tokens', 360, 'estimated_cost', 0.00021),
             'performance', jsonb_build_object('quality_score', 0.82, 'success_rate', 0.97, 'confidence', null),
             'metadata', jsonb_build_object('finish_reason', 'stop', 'model_specific', jsonb_build_object('id', 'chatcmpl-' || g), 'task_type', 'general')) END,
           jsonb_build_object('user_id', 'user-' || g % 100, 'project_id', 'project-' || g % 7),
           a.created_at, CASE WHEN s.status IN ('completed', 'failed', 'cancelled') THEN a.created_at + interval '900 milliseconds' END
      FROM generate_series(1, $2::int) AS g
     CROSS JOIN LATERAL (SELECT CASE g % 50 WHEN 3 THEN 'running' WHEN 4 THEN 'queued'
                                ELSE (ARRAY['completed', 'failed', 'cancelled'])[1 + g % 3] END AS status) s
     CROSS JOIN LATERAL (SELECT now() - CASE WHEN g % 2 = 0 THEN interval '31 days' + (g % 60) * interval '1 day'
                                             ELSE (g % 29) * interval '1 day' END - (g % 24) * interval '1 hour' AS created_at) a`,
    [TYPICAL_ANSWER, SEEDED_REQUESTS],
  );
  // Automatic observations of one in three finished requests, and a rating an hour after one in seven finished or requeued
  // (queued with a model) ones; one in fourteen of those rated again an hour later, which voided the first rating.
  await sql.query(`
    INSERT INTO performance_observations (model_id, task_type, source, request_id, success, quality, weight, observed_at, recorded_at, folded, voided_at)
    SELECT r.model_id, r.task_type, 'automatic', r.id, r.status = 'completed', NULL, 1, r.completed_at, r.completed_at, true, NULL
      FROM inference_requests r WHERE r.id LIKE 'seed-%' AND r.status IN ('completed', 'failed', 'cancelled') AND substr(r.id, 6)::int % 6 < 2
    UNION ALL
    SELECT r.model_id, r.task_type, 'user', r.id, true, (n % 5) / 4.0, 3, r.created_at + n * interval '1 hour', r.created_at + n * interval '1 hour', true,
           CASE WHEN n = 1 AND substr(r.id, 6)::int % 14 = 0 THEN r.created_at + interval '2 hours' END
      FROM inference_requests r CROSS JOIN generate_series(1, 2) AS n
     WHERE r.id LIKE 'seed-%' AND r.model_id IS NOT NULL AND substr(r.id, 6)::int % 7 = 0 AND (n = 1 OR substr(r.id, 6)::int % 14 = 0)`);
  await sql.query(`
    INSERT INTO feedback (id, request_id, user_key, model_id, task_type, quality_rating, success, feedback, metadata, observation_id, created_at, replaced_by)
    SELECT md5('fb-' || o.id)::uuid, o.request_id, 'rater', o.model_id, o.task_type, o.quality, o.success, 'useful answer', '{}'::jsonb, o.id, o.observed_at,
           CASE WHEN o.next_id IS NOT NULL THEN md5('fb-' || o.next_id)::uuid END
      FROM (SELECT o.*, lead(o.id) OVER (PARTITION BY o.request_id ORDER BY o.observed_at) AS next_id
              FROM performance_observations o WHERE o.source = 'user') o`);
  await sql.query(`
    INSERT INTO outbox_events (pattern, payload, created_at, published_at)
    SELECT 'model.request.completed',
           jsonb_build_object('request_id', 'seed-' || g, 'model_id', 'seed-model', 'task_type', 'general', 'timestamp', now(),
                              'metrics', jsonb_build_object('latency_ms', 900, 'tokens', jsonb_build_object('prompt', 40, 'completion', 320, 'total', 360),
                                                            'cost', 0.00021, 'performance', jsonb_build_object('quality_score', 0.82, 'confidence', null))),
           now() - (g % 72) * interval '1 hour' - interval '30 minutes', now() - (g % 72) * interval '1 hour' - interval '29 minutes'
      FROM generate_series(1, 30000) AS g`);
  // The scores a fold would have left (sums undecayed; what matters here is what they count).
  await sql.query(`
    INSERT INTO performance_scores (model_id, task_type, weight_sum, success_sum, quality_weight, quality_sum, quality_sq_sum, sample_count, decayed_to)
    SELECT 'seed-model', coalesce(task_type, '*'), sum(weight), sum(CASE WHEN success THEN weight ELSE 0 END),
           sum(CASE WHEN quality IS NULL THEN 0 ELSE weight END), sum(coalesce(quality, 0) * weight), sum(coalesce(quality, 0) ^ 2 * weight), count(*), now()
      FROM performance_observations WHERE model_id = 'seed-model' AND voided_at IS NULL
     GROUP BY ROLLUP (task_type)`);
  await sql.query(`ANALYZE`);
}

interface Counts {
  requests: Record<string, number>;
  feedback: Record<string, number>;
  events: Record<string, number>;
  observations: Record<string, number>;
}

/** Seeded rows by what the rules decide about them ("old": past the window), as keys like `completed/old`. */
async function counts(sql: DataSource): Promise<Counts> {
  const grouped = async (query: string) =>
    Object.fromEntries((await sql.query<{ k: string; n: number }[]>(query)).map((r) => [r.k, r.n]));
  return {
    requests: await grouped(
      `SELECT status || CASE WHEN created_at < now() - ${WINDOW} THEN '/old' ELSE '/new' END AS k, count(*)::int AS n
         FROM inference_requests WHERE id LIKE 'seed-%' GROUP BY 1`,
    ),
    feedback: await grouped(
      `SELECT r.status || CASE WHEN r.created_at < now() - ${WINDOW} THEN '/old' ELSE '/new' END AS k, count(*)::int AS n
         FROM feedback f JOIN inference_requests r ON r.id = f.request_id WHERE r.id LIKE 'seed-%' GROUP BY 1`,
    ),
    events: await grouped(
      `SELECT CASE WHEN published_at < now() - interval '24 hours' THEN 'published/old' ELSE 'published/new' END AS k, count(*)::int AS n
         FROM outbox_events WHERE payload->>'model_id' = 'seed-model' GROUP BY 1`,
    ),
    // Old observations whose rating still stands on a request that stays (a requeued one) are kept with it.
    observations: await grouped(
      `SELECT o.source || CASE WHEN o.observed_at >= now() - ${WINDOW} THEN '/new'
                               WHEN EXISTS (SELECT 1 FROM feedback f JOIN inference_requests r ON r.id = f.request_id
                                             WHERE f.observation_id = o.id AND r.status IN ('queued', 'running')) THEN '/old-rated-on-kept-request'
                               ELSE '/old' END AS k, count(*)::int AS n
         FROM performance_observations o WHERE o.model_id = 'seed-model' GROUP BY 1`,
    ),
  };
}

/** What the rules leave: nothing old but what they keep. */
function expectedAfter(before: Counts): Counts {
  const keep = (group: Record<string, number>, gone: (key: string) => boolean) =>
    Object.fromEntries(Object.entries(group).filter(([key]) => !gone(key)));
  const finishedAndOld = (key: string) => /^(completed|failed|cancelled)\/old$/.test(key);
  return {
    requests: keep(before.requests, finishedAndOld),
    feedback: keep(before.feedback, finishedAndOld),
    events: keep(before.events, (key) => key === 'published/old'),
    observations: keep(before.observations, (key) => key.endsWith('/old')),
  };
}

interface Bucket {
  task_type: string;
  granularity: string;
  period_start: Date;
  sample_count: number;
  weight_sum: number;
  success_sum: number;
  quality_weight: number;
  quality_sum: number;
}

/** The seeded model's buckets as the report reads them (sums rounded: pruning changes the order they are added in). */
async function rollups(sql: DataSource): Promise<Bucket[]> {
  const rows: Bucket[] = await sql.query(
    `SELECT task_type, granularity, period_start, sample_count, weight_sum, success_sum, quality_weight, quality_sum
       FROM performance_rollups WHERE model_id = 'seed-model' ORDER BY task_type, granularity, period_start`,
  );
  return rows.map((r) => ({ ...r, weight_sum: round(r.weight_sum), success_sum: round(r.success_sum), quality_weight: round(r.quality_weight), quality_sum: round(r.quality_sum) }));
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

interface Load {
  ids: string[];
  statuses: number[];
  latencies: number[];
}

describe('retention job (REQUEST_RETENTION_DAYS)', () => {
  let service: TestApp;
  let openai: FakeServer;
  let before: Counts;
  let rollupsBefore: Bucket[];
  const figures: Record<string, unknown> = {};

  /** Chats on the live model at CONCURRENCY, at least `count` of them and until `until` resolves. */
  async function load(prefix: string, count: number, until: Promise<unknown> = Promise.resolve()): Promise<Load> {
    let done = false;
    const finish = () => (done = true);
    until.then(finish, finish);
    const result: Load = { ids: [], statuses: [], latencies: [] };
    let next = 0;
    const worker = async () => {
      while (next < count || !done) {
        const id = `${prefix}-${next++}`;
        const started = performance.now();
        const { status, body } = await request(service.baseUrl, 'POST', '/api/models/chat', {
          body: { model_id: LIVE_MODEL, task_type: 'general', messages: [{ role: 'user', content: 'Explain retention briefly.' }] },
          headers: { 'X-Request-Id': id },
        }).catch((error: Error) => {
          console.log(`${id} failed: ${String(error)} ${String((error as { cause?: unknown }).cause)}`);
          return { status: 0, body: null };
        });
        // A refusal names its cause in the log, so a rare one on a loaded machine can be traced.
        if (status !== 200 && status !== 0) console.log(`${id} answered ${status}: ${JSON.stringify(body)}`);
        result.latencies.push(performance.now() - started);
        result.statuses.push(status);
        result.ids.push(id);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return result;
  }

  /** Latency percentiles, with the machine's load average (other processes share its 2 cores). */
  function summary(run: Load) {
    const sorted = [...run.latencies].sort((a, b) => a - b);
    const ms = (x: number) => Math.round(x * 10) / 10;
    return {
      requests: sorted.length,
      p50_ms: ms(percentile(sorted, 0.5)),
      p99_ms: ms(percentile(sorted, 0.99)),
      max_ms: ms(sorted[sorted.length - 1]),
      load_average_1m: Math.round(loadavg()[0] * 100) / 100,
    };
  }

  async function expectAllServedAndStored(run: Load): Promise<void> {
    expect(run.statuses.filter((s) => s !== 200)).toEqual([]);
    const [{ n }] = await service.sql.query(`SELECT count(*)::int AS n FROM inference_requests WHERE id = ANY($1) AND status = 'completed'`, [run.ids]);
    expect(n).toBe(run.ids.length);
  }

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    openai.behave(LIVE_MODEL, { text: TYPICAL_ANSWER });
    // The seeded running and queued rows have no live instance or job behind them: a lease this long
    // keeps the reclaimer (which would finalize them as interrupted) from sweeping during the test.
    service = await startTestApp({ INSTANCE_LEASE_SECONDS: '3600' });
    await registerModel(service, { model_id: LIVE_MODEL, provider: 'openai', capabilities: ['chat'], api_url: openai.url, api_key: 'sk-test-retention' });
    await seed(service.sql);
    // As if the roll-up had run all along: the next run recomputes every bucket from the seeded observations.
    await service.sql.query(`DELETE FROM performance_rollup_runs`);
    const rolledUp = await request(service.baseUrl, 'POST', '/api/admin/performance/rollup', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(rolledUp.status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    mkdirSync(join(RESULTS_FILE, '..'), { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`Retention figures (${RESULTS_FILE}):\n${JSON.stringify(figures, null, 2)}`);
    await service.close();
    await openai.close();
  }, 60_000);

  it('measures the bytes a row of each table takes, on rows the request path wrote', async () => {
    // Enough requests to warm the service up (JIT, connection pools), so the baselines that follow are fair.
    const sample = await load('sample', WARM_UP_REQUESTS);
    await expectAllServedAndStored(sample);
    for (const id of sample.ids.slice(0, 50)) {
      const body = { request_id: id, success: true, quality_rating: 0.8, feedback: 'Helpful, but the second paragraph repeats the first.', metadata: { user_id: 'u-1' } };
      expect((await request(service.baseUrl, 'POST', '/api/models/feedback', { body })).status).toBe(200);
    }
    await service.app.get(RollupProcessor).runNow();
    await service.sql.query(`VACUUM ANALYZE`);
    /**
     * Bytes per row with everything Postgres stores for it (heap, TOAST, every index): the sample
     * rows copied, about 10,000 of them, into a table of their own with the same indexes, so page
     * and index overhead are what a full table has. `unique` gives each copy its own keys (request
     * ids as the service generates them: UUIDs).
     */
    const perRow = async (table: string, where: string, unique: string) => {
      const [{ sample, avg_row_bytes }] = await service.sql.query(
        `SELECT count(*)::int AS sample, round(avg(pg_column_size(t.*)))::int AS avg_row_bytes FROM ${table} t WHERE ${where}`,
      );
      await service.sql.query(`CREATE TABLE size_probe (LIKE ${table} INCLUDING DEFAULTS INCLUDING INDEXES)`);
      await service.sql.query(
        `INSERT INTO size_probe SELECT (jsonb_populate_record(t, jsonb_build_object(${unique}))).*
           FROM ${table} t CROSS JOIN generate_series(1, ${Math.ceil(10_000 / sample)}) AS n WHERE ${where}`,
      );
      const [probe] = await service.sql.query(
        `SELECT pg_total_relation_size('size_probe')::float8 / count(*) AS total, pg_indexes_size('size_probe')::float8 / count(*) AS indexes
           FROM size_probe`,
      );
      await service.sql.query(`DROP TABLE size_probe`);
      const [total, indexes] = [Math.round(probe.total), Math.round(probe.indexes)];
      return { sample_rows: sample, avg_row_bytes, heap_and_toast_bytes_per_row: total - indexes, index_bytes_per_row: indexes, total_bytes_per_row: total };
    };
    figures.bytes_per_row = {
      inference_requests_completed: await perRow('inference_requests', `id LIKE 'sample-%'`, `'id', gen_random_uuid()`),
      outbox_events: await perRow('outbox_events', `payload->>'model_id' = '${LIVE_MODEL}'`, `'id', t.id * 1000 + n`),
      performance_observations: await perRow('performance_observations', `model_id = '${LIVE_MODEL}'`, `'id', t.id * 1000 + n`),
      feedback: await perRow('feedback', `model_id = '${LIVE_MODEL}'`, `'id', gen_random_uuid(), 'request_id', gen_random_uuid()`),
      performance_rollups: await perRow('performance_rollups', `model_id = '${LIVE_MODEL}'`, `'task_type', t.task_type || n`),
      performance_scores: await perRow('performance_scores', `model_id = '${LIVE_MODEL}'`, `'task_type', t.task_type || n`),
    };
  }, 120_000);

  it('removes exactly the rows past the window while requests keep being served, and keeps the roll-ups', async () => {
    before = await counts(service.sql);
    rollupsBefore = await rollups(service.sql);
    expect(before.requests['completed/old']).toBeGreaterThan(0);
    expect(before.requests['queued/old']).toBeGreaterThan(0);
    expect(before.feedback['completed/old']).toBeGreaterThan(0);
    expect(before.feedback['queued/old']).toBeGreaterThan(0);
    expect(before.observations['user/old-rated-on-kept-request']).toBeGreaterThan(0);
    expect(before.events['published/old']).toBeGreaterThan(0);

    // Latency just before the prune, then while it runs (requests keep coming until it is done).
    const baseline = await load('baseline', LIVE_REQUESTS);
    await expectAllServedAndStored(baseline);
    figures.baseline = summary(baseline);
    const started = performance.now();
    const pruning = service.app.get(RetentionProcessor).runNow();
    const during = await load('during', LIVE_REQUESTS, pruning);
    const pruned: PruneResult = await pruning;
    figures.during_prune = { ...summary(during), prune_ms: Math.round(performance.now() - started), pruned };

    await expectAllServedAndStored(during);
    // And once more after it, to tell the prune's effect from the machine's noise.
    const afterwards = await load('after', LIVE_REQUESTS);
    await expectAllServedAndStored(afterwards);
    figures.after_prune = summary(afterwards);

    expect(await counts(service.sql)).toEqual(expectedAfter(before));
    const total = (group: Record<string, number>) => Object.values(group).reduce((a, b) => a + b, 0);
    const after = expectedAfter(before);
    expect(pruned).toEqual({
      requests: total(before.requests) - total(after.requests),
      feedback: total(before.feedback) - total(after.feedback),
      events: total(before.events) - total(after.events),
      observations: total(before.observations) - total(after.observations),
    });
    expect(await rollups(service.sql)).toEqual(rollupsBefore);
  }, 600_000);

  it('removes nothing more when run again', async () => {
    expect(await service.app.get(RetentionProcessor).runNow()).toEqual({ requests: 0, feedback: 0, events: 0, observations: 0 });
  }, 60_000);

  it('keeps what pruned observations contributed when a bucket is recomputed, touched or from scratch', async () => {
    const rollUp = () => request(service.baseUrl, 'POST', '/api/admin/performance/rollup', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await service.sql.query(`DELETE FROM performance_rollup_runs`);
    expect((await rollUp()).status).toBe(200);
    expect(await rollups(service.sql)).toEqual(rollupsBefore);

    // A late observation in an old, pruned day: its buckets are recomputed and count one more sample.
    const [{ at }] = await service.sql.query(
      `SELECT period_start + interval '1 hour' AS at FROM performance_rollups
        WHERE model_id = 'seed-model' AND task_type = 'reasoning' AND granularity = 'day' AND pruned_count > 0 ORDER BY period_start LIMIT 1`,
    );
    await service.sql.query(
      `INSERT INTO performance_observations (model_id, task_type, source, success, weight, observed_at, folded)
       VALUES ('seed-model', 'reasoning', 'automatic', true, 1, $1, true)`,
      [at],
    );
    expect((await rollUp()).status).toBe(200);
    const [day] = await service.sql.query(
      `SELECT sample_count FROM performance_rollups WHERE model_id = 'seed-model' AND task_type = 'reasoning' AND granularity = 'day' AND period_start = $1::timestamptz - interval '1 hour'`,
      [at],
    );
    const dayBefore = rollupsBefore.find((r) => r.task_type === 'reasoning' && r.granularity === 'day' && r.period_start.getTime() === new Date(at).getTime() - 3_600_000);
    expect(day.sample_count).toBe(dayBefore!.sample_count + 1);
  }, 60_000);

  it('rebuilds the overall score of a partial reset from the task types\' scores, which pruning left whole', async () => {
    const scoreCounts = async () =>
      Object.fromEntries(
        (
          await service.sql.query<{ task_type: string; sample_count: number }[]>(
            `SELECT task_type, sample_count FROM performance_scores WHERE model_id = 'seed-model'`,
          )
        ).map((r) => [r.task_type, r.sample_count]),
      );
    const kept = await scoreCounts();
    // Evidence the scores count that is no longer in the observations: the rebuild cannot have come from them.
    const [{ remaining }] = await service.sql.query(
      `SELECT count(*)::int AS remaining FROM performance_observations WHERE model_id = 'seed-model' AND task_type <> 'code_generation' AND voided_at IS NULL`,
    );
    expect(kept.reasoning + kept.general).toBeGreaterThan(remaining);
    // The reset is an operator's command on a registered model.
    await registerModel(service, { model_id: 'seed-model', provider: 'openai', capabilities: ['chat'], api_url: openai.url, api_key: 'sk-test-retention' });
    const { status } = await request(service.baseUrl, 'POST', '/api/admin/performance/reset', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { model_id: 'seed-model', task_types: ['code_generation'] },
    });
    expect(status).toBe(200);
    expect(await scoreCounts()).toEqual({ reasoning: kept.reasoning, general: kept.general, '*': kept.reasoning + kept.general });
  }, 60_000);
});
