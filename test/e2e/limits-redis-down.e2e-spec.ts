import Redis from 'ioredis';
import { EphemeralRedis } from '../../scripts/lib/processes';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * Client-key limits and the response cache while Redis is down (docs/keys.md, "Redis down"): by
 * default, budgets fail closed (a spend that cannot be counted is refused) and rate limits fail open;
 * each is configurable. Redis is a server of this test's own, so stopping it disturbs no other test.
 */
describe('limits and cache while Redis is down', () => {
  let redis: EphemeralRedis;
  let defaults: TestApp;
  let inverted: TestApp;
  let openai: FakeServer;
  const keys: Record<'budget' | 'rates' | 'free', string> = { budget: '', rates: '', free: '' };
  let budgetKeyId: string;

  async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
    const { status, body: created } = await request(defaults.baseUrl, 'POST', '/api/admin/keys', { headers: admin, body });
    expect(status).toBe(200);
    return created;
  }

  function chat(instance: TestApp, key: string, extra: Record<string, unknown> = {}) {
    return request(instance.baseUrl, 'POST', '/api/models/chat', {
      headers: { authorization: `Bearer ${key}` },
      body: { model_id: 'guarded-gpt', messages: [{ role: 'user', content: 'Say hi.' }], ...extra },
    });
  }

  async function spendOf(key: string): Promise<number> {
    const { body } = await request(defaults.baseUrl, 'GET', '/api/models/spend', { headers: { authorization: `Bearer ${key}` } });
    return body.total_cost as number;
  }

  beforeAll(async () => {
    redis = await EphemeralRedis.start();
    openai = await startFakeOpenAi();
    openai.behave('guarded-gpt', { text: 'Hi.' });
    defaults = await startTestApp({ CLIENT_AUTH: 'keys', REDIS_URL: redis.url });
    inverted = await startTestApp({ CLIENT_AUTH: 'keys', REDIS_URL: redis.url, RATE_LIMITS_WHEN_REDIS_DOWN: 'closed', BUDGETS_WHEN_REDIS_DOWN: 'open' }, defaults);
    await registerModel(defaults, {
      model_id: 'guarded-gpt',
      provider: 'openai',
      capabilities: ['chat'],
      api_url: openai.url,
      api_key: 'sk-upstream',
      pricing: { input: 0.001, output: 0.002 },
    });
    const budget = await createKey({ name: 'with-budget', limits: { budget_usd: { daily: 10 } } });
    [keys.budget, budgetKeyId] = [budget.key, budget.id];
    keys.rates = (await createKey({ name: 'with-rates', limits: { rpm: 1000, concurrency: 10 } })).key;
    keys.free = (await createKey({ name: 'without-limits' })).key;
    // Each key counted once while Redis is up: their counters exist before it goes away.
    for (const key of Object.values(keys)) expect((await chat(defaults, key)).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await inverted.close();
    await defaults.close();
    await openai.close();
    await redis.stop();
  });

  describe('with Redis stopped', () => {
    beforeAll(() => redis.stop());
    afterAll(() => redis.restart());

    it('refuses a key with a budget with 503 service_unavailable, and records nothing for it', async () => {
      const before = openai.requests.length;
      const refused = await chat(defaults, keys.budget);
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatchObject({ code: 'service_unavailable', details: { key: 'with-budget' } });
      expect(openai.requests.length).toBe(before);
    });

    it('lets a key with only rate limits through, uncounted, and one without limits as always', async () => {
      for (const key of [keys.rates, keys.free]) {
        const answered = await chat(defaults, key);
        expect(answered.status).toBe(200);
        const [row] = await defaults.sql.query(`SELECT status FROM inference_requests WHERE id = $1`, [answered.body.completion_id]);
        expect(row.status).toBe('completed');
      }
    });

    it('does the opposite where configured: rate limits closed, budgets open', async () => {
      const rates = await chat(inverted, keys.rates);
      expect(rates.status).toBe(503);
      expect(rates.body.error.code).toBe('service_unavailable');
      const budget = await chat(inverted, keys.budget);
      expect(budget.status).toBe(200);
    });

    it('answers a request that asks for the cache from the provider: a cache it cannot reach is a miss', async () => {
      const before = openai.requests.length;
      const answered = await chat(defaults, keys.free, { cache: { ttl_seconds: 60 } });
      expect(answered.status).toBe(200);
      expect(answered.headers.get('x-cache')).toBe('miss');
      expect(openai.requests.length).toBe(before + 1);
    });
  });

  it('counts a budget on once Redis is back, from what Postgres recorded meanwhile', async () => {
    // The restarted Redis lost its counters: the day's spend is read back from Postgres, including the
    // request let through with budgets open while it was down, and the next request counts on from it.
    const answered = await chat(defaults, keys.budget);
    expect(answered.status).toBe(200);
    const [{ n }] = await defaults.sql.query(`SELECT count(*)::int AS n FROM inference_requests WHERE client_key = $1`, [budgetKeyId]);
    expect(n).toBe(3);
    const recorded = await spendOf(keys.budget);
    expect(recorded).toBeGreaterThan(0);
    const client = new Redis(redis.url);
    try {
      const day = new Date().toISOString().slice(0, 10);
      const counted = await client.hget(`${defaults.config.redisKeyPrefix}:limits:${budgetKeyId}:budget:day:${day}`, 'spent');
      expect(Number(counted) / 1e9).toBeCloseTo(recorded, 8);
    } finally {
      client.disconnect();
    }
  });
});
