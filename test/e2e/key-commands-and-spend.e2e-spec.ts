import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { SpendLedger } from '../../src/access/spend-ledger.repository';
import { Command } from '../../src/events/patterns';
import { RetentionProcessor } from '../../src/retention/retention.processor';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const DAY_MS = 24 * 60 * 60 * 1000;

interface NewKey {
  id: string;
  key: string;
  prefix: string;
  name: string;
}

/**
 * The rest of client keys (docs/keys.md) on two instances: keys managed over Redis commands, which
 * every instance receives but only one carries out; embeddings within a key's limits and spend;
 * spend kept in daily roll-ups once retention removes the request rows; cost per key in /metrics.
 */
describe('key commands, embeddings limits, spend roll-ups and per-key metrics', () => {
  let one: TestApp;
  let two: TestApp;
  let openai: FakeServer;
  const env = { CLIENT_AUTH: 'keys', REDIS_CHANNEL_PREFIX: `keys-${process.pid}:`, REQUEST_RETENTION_DAYS: '1' };

  const send = <T>(pattern: string, payload: unknown) => firstValueFrom(one.commands.send<T>(pattern, payload));
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  async function createKey(body: Record<string, unknown>): Promise<NewKey> {
    const { status, body: created } = await request(one.baseUrl, 'POST', '/api/admin/keys', { headers: admin, body });
    expect(status).toBe(200);
    return created as NewKey;
  }

  function chat(instance: TestApp, key: string) {
    return request(instance.baseUrl, 'POST', '/api/models/chat', { headers: bearer(key), body: { model_id: 'spend-gpt', messages: [{ role: 'user', content: 'Say hi.' }] } });
  }

  function embed(instance: TestApp, key: string) {
    return request(instance.baseUrl, 'POST', '/api/models/embeddings', { headers: bearer(key), body: { model_id: 'spend-embed', texts: ['first text', 'second text'] } });
  }

  async function spendOf(key: string, query = 'group_by=model&time_range=30d') {
    const { status, body } = await request(two.baseUrl, 'GET', `/api/models/spend?${query}`, { headers: bearer(key) });
    expect(status).toBe(200);
    return body as { from: string; total_cost: number; lines: { group: string; requests: number; cost: number; name?: string }[] };
  }

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    one = await startTestApp(env);
    two = await startTestApp(env, one);
    const upstream = { provider: 'openai' as const, api_url: openai.url, api_key: 'sk-upstream' };
    await registerModel(one, { ...upstream, model_id: 'spend-gpt', capabilities: ['chat'], pricing: { input: 0.001, output: 0.002 } });
    await registerModel(one, { ...upstream, model_id: 'spend-embed', capabilities: ['embedding'], pricing: { input: 0.0001, output: 0 } });
  });

  afterAll(async () => {
    await two.close();
    await one.close();
    await openai.close();
  });

  it('creates a key once over Redis, though both instances receive the command, and updates, rotates once and revokes it', async () => {
    const id = randomUUID();
    const created = await send<NewKey>(Command.CreateKey, { id, name: 'by-command', owner: { team: 'ops' }, limits: { rpm: 100 } });
    expect(created).toMatchObject({ id, name: 'by-command', owner: { team: 'ops' }, limits: { rpm: 100 } });
    expect(created.key).toMatch(/^mos_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}$/);
    const [{ n }] = await one.sql.query(`SELECT count(*)::int AS n FROM client_keys WHERE name = 'by-command'`);
    expect(n).toBe(1);
    openai.behave('spend-gpt', { text: 'Hi.' });
    expect((await chat(two, created.key)).status).toBe(200);

    await expect(send(Command.CreateKey, { id, name: 'same id' })).rejects.toMatchObject({ code: 'conflict', details: { id } });
    await expect(send(Command.CreateKey, { name: 'no id' })).rejects.toMatchObject({ code: 'validation_failed', details: { fields: { id: expect.any(Array) } } });

    const updated = await send<NewKey & { limits: unknown }>(Command.UpdateKey, { id, limits: { rpm: 5 } });
    expect(updated).toMatchObject({ name: 'by-command', limits: { rpm: 5 }, owner: { team: 'ops' } });

    const rotated = await send<NewKey>(Command.RotateKey, { id, prefix: created.prefix });
    expect(rotated.prefix).not.toBe(created.prefix);
    const [row] = await one.sql.query(`SELECT prefix FROM client_keys WHERE id = $1`, [id]);
    expect(`mos_${row.prefix}`).toBe(rotated.prefix);
    expect([(await chat(one, created.key)).status, (await chat(two, created.key)).status]).toEqual([401, 401]);
    expect([(await chat(one, rotated.key)).status, (await chat(two, rotated.key)).status]).toEqual([200, 200]);
    await expect(send(Command.RotateKey, { id, prefix: created.prefix })).rejects.toMatchObject({ code: 'conflict', details: { prefix: rotated.prefix } });

    const revoked = await send<{ revoked_at: string | null }>(Command.RevokeKey, { id });
    expect(revoked.revoked_at).not.toBeNull();
    const started = Date.now();
    while ((await chat(two, rotated.key)).status !== 401) expect(Date.now() - started).toBeLessThan(1000);
    expect((await chat(one, rotated.key)).status).toBe(401);
  });

  it("holds embeddings to the key's rate limit and budget, and counts their cost in its spend", async () => {
    const limited = await createKey({ name: 'embedder', limits: { rpm: 3, budget_usd: { daily: 1 } } });
    const answers = [await embed(one, limited.key), await embed(two, limited.key), await embed(one, limited.key)];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const refused = await embed(two, limited.key);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');

    const cost = answers.reduce((sum, a) => sum + (a.body.usage.estimated_cost as number), 0);
    expect(cost).toBeGreaterThan(0);
    const spend = await spendOf(limited.key);
    expect(spend.lines).toEqual([expect.objectContaining({ group: 'spend-embed', requests: 3 })]);
    expect(spend.total_cost).toBeCloseTo(cost, 10);
    const [budget] = await one.sql.query(`SELECT sum(cost)::float8 AS cost FROM spend_daily WHERE source = 'embeddings' AND client_key = $1`, [limited.id]);
    expect(budget.cost).toBeCloseTo(cost, 10);

    const poor = await createKey({ name: 'poor-embedder', limits: { budget_usd: { daily: 0.0000001 } } });
    const overBudget = await embed(one, poor.key);
    expect(overBudget.status).toBe(429);
    expect(overBudget.body.error.code).toBe('budget_exceeded');
  });

  it('rolls closed days up, lets retention remove only rolled-up days, and reports the same spend before and after', async () => {
    const owner = await createKey({ name: 'history', owner: { team: 'archive' } });
    openai.behave('spend-gpt', { text: 'Hi.' });
    expect((await chat(one, owner.key)).status).toBe(200);
    const midnight = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const day = (n: number) => new Date(midnight - n * DAY_MS);
    await one.sql.query(`UPDATE spend_rollup_state SET rolled_through = $1::date`, [day(10).toISOString().slice(0, 10)]);
    // Two answered requests on each of days -5 to -3 and one on day -2, half an hour after midnight; a queued one on day -3.
    const seeded: [number, string, number | null][] = [
      [5, 'completed', 0.01], [5, 'completed', 0.01], [4, 'completed', 0.01], [4, 'cancelled', 0.005],
      [3, 'completed', 0.01], [3, 'failed', null], [3, 'queued', null], [2, 'completed', 0.02],
    ];
    for (const [n, status, cost] of seeded) {
      await one.sql.query(
        `INSERT INTO inference_requests (id, kind, status, task_type, model_id, provider, prompt_tokens, completion_tokens, total_tokens, cost, created_at, completed_at, client_key)
         VALUES ($1, 'chat', $2, 'general', 'spend-gpt', 'openai', 10, 5, 15, $3, $4, $4, $5)`,
        [randomUUID(), status, cost, new Date(day(n).getTime() + 30 * 60_000), owner.id],
      );
    }
    const before = await spendOf(owner.key);
    expect(before.lines[0]).toMatchObject({ group: 'spend-gpt', requests: 7 });
    const total = before.total_cost;

    await one.app.get(RetentionProcessor).runNow();
    // Days -9 to -4 are rolled up; day -3 waits for its queued request; retention (1 day) removed the rolled-up days' rows only.
    const [state] = await one.sql.query(`SELECT to_char(rolled_through, 'YYYY-MM-DD') AS day FROM spend_rollup_state`);
    expect(state.day).toBe(day(4).toISOString().slice(0, 10));
    const left = await one.sql.query(`SELECT created_at FROM inference_requests WHERE client_key = $1 ORDER BY created_at`, [owner.id]);
    expect(left.map((r: { created_at: Date }) => Math.max(0, Math.ceil((midnight - r.created_at.getTime()) / DAY_MS)))).toEqual([3, 3, 3, 2, 0]);
    const after = await spendOf(owner.key);
    expect(after.total_cost).toBeCloseTo(total, 10);
    expect(after.lines[0]).toMatchObject({ group: 'spend-gpt', requests: 7 });
    expect(await one.app.get(SpendLedger).spentBy(owner.id, new Date(0))).toBeCloseTo(total, 10);

    await one.sql.query(`UPDATE inference_requests SET status = 'cancelled', cost = 0.001 WHERE client_key = $1 AND status = 'queued'`, [owner.id]);
    await two.app.get(RetentionProcessor).runNow();
    const closedThrough = new Date().getUTCHours() >= 1 ? 1 : 2; // a day is rolled up an hour after it ends
    const [later] = await one.sql.query(`SELECT to_char(rolled_through, 'YYYY-MM-DD') AS day FROM spend_rollup_state`);
    expect(later.day).toBe(day(closedThrough).toISOString().slice(0, 10));
    const byKey = await request(one.baseUrl, 'GET', '/api/admin/spend?group_by=team&time_range=30d', { headers: admin });
    expect(byKey.body.lines).toContainEqual(expect.objectContaining({ group: 'archive', requests: 8 }));
    expect((await spendOf(owner.key)).total_cost).toBeCloseTo(total + 0.001, 10);

    // A range reaching past the retention window starts at the midnight before it: day -4 counts whole.
    const fourDays = await spendOf(owner.key, 'group_by=model&time_range=4d');
    expect(fourDays.from).toBe(day(4).toISOString());
    expect(fourDays.total_cost).toBeCloseTo(total + 0.001 - 0.02, 10);
  });

  it('counts requests and cost per key name in /metrics, the first METRICS_MAX_KEYS names and "other" for the rest', async () => {
    const three = await startTestApp({ ...env, METRICS_MAX_KEYS: '1' }, one);
    try {
      const first = await createKey({ name: 'metered-first' });
      const second = await createKey({ name: 'metered-second' });
      openai.behave('spend-gpt', { text: 'Hi.' });
      const costs = [];
      for (const key of [first.key, first.key, second.key]) {
        const answered = await chat(three, key);
        expect(answered.status).toBe(200);
        costs.push(answered.body.usage.estimated_cost as number);
      }
      const metrics = (await (await fetch(`${three.baseUrl}/metrics`)).text()).split('\n');
      const value = (prefix: string) => Number(metrics.find((line) => line.startsWith(prefix))?.split(' ').pop());
      expect(value('mos_key_requests_total{key="metered-first",outcome="completed"}')).toBe(2);
      expect(value('mos_key_cost_usd_total{key="metered-first"}')).toBeCloseTo(costs[0] + costs[1], 10);
      expect(value('mos_key_requests_total{key="other",outcome="completed"}')).toBe(1);
      expect(metrics.some((line) => line.includes('metered-second'))).toBe(false);
    } finally {
      await three.close();
    }
  });
});
