import Redis from 'ioredis';
import OpenAI from 'openai';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * Client keys (docs/keys.md) on two instances of one deployment: keys managed over admin HTTP,
 * requests owned by their key, and limits counted once for the cluster in Redis.
 */
describe('client keys, ownership and limits', () => {
  let one: TestApp;
  let two: TestApp;
  let openai: FakeServer;

  async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string; prefix: string }> {
    const { status, body: created } = await request(one.baseUrl, 'POST', '/api/admin/keys', { headers: admin, body });
    expect(status).toBe(200);
    return created as { id: string; key: string; prefix: string };
  }

  function chat(instance: TestApp, key: string, extra: Record<string, unknown> = {}) {
    return request(instance.baseUrl, 'POST', '/api/models/chat', {
      headers: { authorization: `Bearer ${key}` },
      body: { model_id: 'keyed-gpt', messages: [{ role: 'user', content: 'Say hi.' }], ...extra },
    });
  }

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    one = await startTestApp({ CLIENT_AUTH: 'keys' });
    two = await startTestApp({ CLIENT_AUTH: 'keys' }, one);
    await registerModel(one, {
      model_id: 'keyed-gpt',
      provider: 'openai',
      capabilities: ['chat'],
      api_url: openai.url,
      api_key: 'sk-upstream',
      pricing: { input: 0.001, output: 0.002 },
    });
  });

  afterAll(async () => {
    await two.close();
    await one.close();
    await openai.close();
  });

  it('creates a key whose secret is shown once and stored only as a digest; lists, reads and changes it', async () => {
    const created = await createKey({ name: 'team-a', owner: { team: 'search', user: 'ana' }, limits: { rpm: 1000 } });
    expect(created.key).toMatch(/^mos_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}$/);
    expect(created.key.startsWith(`${created.prefix}_`)).toBe(true);

    const listed = await request(one.baseUrl, 'GET', '/api/admin/keys', { headers: admin });
    expect(listed.body.keys.find((k: { id: string }) => k.id === created.id)).toMatchObject({ name: 'team-a', owner: { team: 'search', user: 'ana', project: null } });
    expect(JSON.stringify(listed.body)).not.toContain(created.key.slice(-40));

    const [row] = await one.sql.query(`SELECT * FROM client_keys WHERE id = $1`, [created.id]);
    expect(JSON.stringify(row)).not.toContain(created.key.slice(-40));
    expect(Buffer.isBuffer(row.digest) && row.digest.length).toBe(32);

    const patched = await request(one.baseUrl, 'PATCH', `/api/admin/keys/${created.id}`, { headers: admin, body: { models: ['keyed-*'], limits: { rpm: 5 } } });
    expect(patched.body).toMatchObject({ name: 'team-a', models: ['keyed-*'], limits: { rpm: 5 }, owner: { team: 'search' } });
    expect((await request(one.baseUrl, 'GET', `/api/admin/keys/${created.id}`, { headers: admin })).body.limits).toEqual({ rpm: 5 });
  });

  it('refuses requests without a key, with a wrong one, and bad key settings with 400 naming the field', async () => {
    expect((await request(one.baseUrl, 'POST', '/api/models/chat', { body: { messages: [{ role: 'user', content: 'hi' }] } })).status).toBe(401);
    expect((await chat(one, 'mos_AAAAAAAAAAAA_' + 'b'.repeat(40))).status).toBe(401);
    expect((await request(one.baseUrl, 'GET', '/api/models/requests', {})).status).toBe(401);
    const bad = await request(one.baseUrl, 'POST', '/api/admin/keys', { headers: admin, body: { name: 'x', limits: { rpm: 0, budget_usd: { daily: -1 } } } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.details.fields).sort()).toEqual(['limits.budget_usd.daily', 'limits.rpm']);
  });

  it("keeps each key's requests its own: another key gets 404 for reading, cancelling and rating them; the operator sees all", async () => {
    const a = await createKey({ name: 'owner-a', owner: { user: 'ana' } });
    const b = await createKey({ name: 'owner-b' });
    openai.behave('keyed-gpt', { text: 'Hi.' });
    const answered = await chat(one, a.key);
    expect(answered.status).toBe(200);
    const id = answered.body.completion_id as string;

    const [row] = await one.sql.query(`SELECT client_key FROM inference_requests WHERE id = $1`, [id]);
    expect(row.client_key).toBe(a.id);

    const asB = { authorization: `Bearer ${b.key}` };
    const foreign = [
      await request(two.baseUrl, 'GET', `/api/models/requests/${id}`, { headers: asB }),
      await request(two.baseUrl, 'POST', `/api/models/requests/${id}/cancel`, { headers: asB }),
      await request(two.baseUrl, 'POST', '/api/models/feedback', { headers: asB, body: { request_id: id, success: false, quality_rating: 0 } }),
    ];
    const unknown = await request(two.baseUrl, 'GET', '/api/models/requests/no-such-request', { headers: asB });
    expect(foreign.map((r) => r.status)).toEqual([404, 404, 404]);
    expect(foreign[0].body.error.message).toBe(unknown.body.error.message.replace('no-such-request', id));

    expect((await request(two.baseUrl, 'GET', `/api/models/requests/${id}`, { headers: { authorization: `Bearer ${a.key}` } })).status).toBe(200);
    expect((await request(two.baseUrl, 'GET', `/api/models/requests/${id}`, { headers: admin })).status).toBe(200);
  });

  it("counts a key's feedback as its owner's, whatever user_id the body claims: posting four times replaces, never stacks", async () => {
    const a = await createKey({ name: 'rater', owner: { user: 'rita' } });
    openai.behave('keyed-gpt', { text: 'Hi.' });
    const id = (await chat(one, a.key)).body.completion_id as string;
    for (const claimed of ['u1', 'u2', 'u3', 'u4']) {
      const posted = await request(one.baseUrl, 'POST', '/api/models/feedback', {
        headers: { authorization: `Bearer ${a.key}` },
        body: { request_id: id, success: false, quality_rating: 0, metadata: { user_id: claimed } },
      });
      expect(posted.status).toBe(200);
    }
    const rows = await one.sql.query(`SELECT user_key, replaced_by FROM feedback WHERE request_id = $1 ORDER BY created_at`, [id]);
    expect(rows.map((r: { user_key: string }) => r.user_key)).toEqual(['user:rita', 'user:rita', 'user:rita', 'user:rita']);
    expect(rows.filter((r: { replaced_by: string | null }) => r.replaced_by === null)).toHaveLength(1);
  });

  it('lets exactly 60 of 100 simultaneous requests through an RPM limit of 60 split across two instances; the rest get 429 rate_limited with Retry-After', async () => {
    const { key } = await createKey({ name: 'rpm-60', limits: { rpm: 60 } });
    openai.behave('keyed-gpt', { text: 'Hi.' });
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => chat(i % 2 === 0 ? one : two, key)));

    expect(answers.filter((a) => a.status === 200)).toHaveLength(60);
    const refused = answers.filter((a) => a.status !== 200);
    expect(new Set(refused.map((a) => `${a.status} ${a.body.error.code}`))).toEqual(new Set(['429 rate_limited']));
    for (const answer of refused) expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('lets no more requests run at once than the concurrency limit', async () => {
    const { key } = await createKey({ name: 'two-at-once', limits: { concurrency: 2 } });
    openai.behave('keyed-gpt', { text: 'Slow.', delayMs: 400 });
    const answers = await Promise.all([one, two, one, two].map((instance) => chat(instance, key)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429, 429]);
    expect(answers.filter((a) => a.status === 429).map((a) => a.body.error.code)).toEqual(['concurrency_limited', 'concurrency_limited']);
    // The slots are given back when the requests end.
    openai.behave('keyed-gpt', { text: 'Fast.' });
    expect((await chat(one, key)).status).toBe(200);
  });

  it('keeps 200 concurrent requests on two instances within a $0.05 budget: spend <= budget + one reservation, every refusal 429 budget_exceeded', async () => {
    const { id, key } = await createKey({ name: 'budget-5c', limits: { budget_usd: { daily: 0.05 } } });
    // 1,000 prompt tokens and 500 completion tokens: $0.002 a request. The prompt has more bytes than tokens, as every real one does.
    openai.behave('keyed-gpt', { text: 'Paid.', usage: { input: 1000, output: 500 }, delayMs: 30 });
    const prompt = 'word '.repeat(240);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => chat(i % 2 === 0 ? one : two, key, { max_tokens: 500, messages: [{ role: 'user', content: prompt }] })),
    );

    const refused = answers.filter((a) => a.status !== 200);
    expect(new Set(refused.map((a) => `${a.status} ${a.body.error.code}`))).toEqual(new Set(['429 budget_exceeded']));
    const [{ spent, answered }] = await one.sql.query(
      `SELECT coalesce(sum(cost), 0)::float8 AS spent, count(*)::int AS answered FROM inference_requests WHERE client_key = $1 AND status = 'completed'`,
      [id],
    );
    expect(answered).toBe(answers.length - refused.length);
    const largestReservation = ((Buffer.byteLength(prompt) + 16) * 0.001 + 500 * 0.002) / 1000;
    expect(spent).toBeLessThanOrEqual(0.05 + largestReservation);
    expect(spent).toBeGreaterThan(0.05 - 2 * largestReservation);

    // The spend reports agree with the rows: the operator's, by key, and the key's own.
    const report = await request(two.baseUrl, 'GET', '/api/admin/spend?group_by=key&time_range=1d', { headers: admin });
    expect(report.body.lines.find((line: { group: string }) => line.group === id)).toMatchObject({ name: 'budget-5c', requests: answered, cost: expect.closeTo(spent, 9) });
    const own = await request(one.baseUrl, 'GET', '/api/models/spend?group_by=model', { headers: { authorization: `Bearer ${key}` } });
    expect(own.body).toMatchObject({ group_by: 'model', lines: [{ group: 'keyed-gpt', requests: answered, prompt_tokens: answered * 1000, completion_tokens: answered * 500 }] });
    expect(own.body.total_cost).toBeCloseTo(spent, 9);
  });

  it('settles streamed requests too, and counts on from Postgres when Redis lost a period\'s counters', async () => {
    const { id, key } = await createKey({ name: 'streamer', limits: { budget_usd: { daily: 1 } } });
    openai.behave('keyed-gpt', { text: 'Streamed answer.', usage: { input: 1000, output: 500 } });
    const client = new OpenAI({ baseURL: `${one.baseUrl}/v1`, apiKey: key, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'keyed-gpt', stream: true, max_tokens: 600, messages: [{ role: 'user', content: 'word '.repeat(240) }] });
    for await (const chunk of stream) void chunk;

    const redis = new Redis({ ...one.config.redis });
    const hash = `${one.config.redisKeyPrefix}:limits:${id}:budget:day:${new Date().toISOString().slice(0, 10)}`;
    expect(await redis.hgetall(hash)).toEqual({ spent: String(0.002 * 1e9), reserved: '0' });

    await redis.del(hash);
    expect((await chat(two, key)).status).toBe(200);
    const [{ recorded }] = await one.sql.query(`SELECT (sum(cost) * 1e9)::bigint::text AS recorded FROM inference_requests WHERE client_key = $1`, [id]);
    expect(await redis.hget(hash, 'spent')).toBe(recorded);
    await redis.quit();
  });

  it('stops a revoked key on both instances within a second, and rotation retires the old secret at once', async () => {
    const { id, key } = await createKey({ name: 'short-lived' });
    openai.behave('keyed-gpt', { text: 'Hi.' });
    expect((await chat(two, key)).status).toBe(200);

    const revoked = await request(one.baseUrl, 'DELETE', `/api/admin/keys/${id}`, { headers: admin });
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 1000) {
      status = (await chat(two, key)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(401);

    const other = await createKey({ name: 'rotating' });
    expect((await chat(two, other.key)).status).toBe(200);
    const rotated = await request(one.baseUrl, 'POST', `/api/admin/keys/${other.id}/rotate`, { headers: admin });
    expect(rotated.body.key).not.toBe(other.key);
    expect((await chat(one, other.key)).status).toBe(401);
    expect((await chat(two, rotated.body.key)).status).toBe(200);
  });

  it('gives the openai SDK its typed errors: RateLimitError for a spent limit, AuthenticationError for a revoked key', async () => {
    const { id, key } = await createKey({ name: 'sdk', limits: { rpm: 1 } });
    openai.behave('keyed-gpt', { text: 'Hi.' });
    const client = new OpenAI({ baseURL: `${one.baseUrl}/v1`, apiKey: key, maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'keyed-gpt', messages: [{ role: 'user', content: 'Hi' }] });
    await ask();
    const limited = await ask().catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited).toMatchObject({ status: 429, code: 'rate_limited', type: 'rate_limit_error' });

    await request(one.baseUrl, 'DELETE', `/api/admin/keys/${id}`, { headers: admin });
    const denied = await ask().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("shows a key the learned kinds of requests without their hints, which are words of every tenant's prompts", async () => {
    const { key } = await createKey({ name: 'kinds-reader' });
    openai.behave('keyed-gpt', { text: 'Hi.' });
    const sent = await request(one.baseUrl, 'POST', '/api/models/chat', { headers: { authorization: `Bearer ${key}` }, body: { messages: [{ role: 'user', content: 'Confidential merger codename bluebird.' }] } });
    expect(sent.status).toBe(200);
    const asKey = await request(one.baseUrl, 'GET', '/api/models/routing/kinds', { headers: { authorization: `Bearer ${key}` } });
    expect(asKey.body.kinds.length).toBeGreaterThan(0);
    expect(asKey.body.kinds.every((kind: { hint: string[] }) => kind.hint.length === 0)).toBe(true);
    const asAdmin = await request(one.baseUrl, 'GET', '/api/models/routing/kinds', { headers: admin });
    expect(asAdmin.body.kinds.some((kind: { hint: string[] }) => kind.hint.length > 0)).toBe(true);
  });

  it('keeps a key to its models: a named model outside them is 403, and routing picks only among them', async () => {
    const { key } = await createKey({ name: 'narrow', models: ['other-*'] });
    const named = await chat(one, key);
    expect(named.status).toBe(403);
    expect(named.body.error.details).toEqual({ model_id: 'keyed-gpt', request_id: expect.any(String) });
    const routed = await chat(one, key, { model_id: undefined });
    expect(routed.status).toBe(403);
  });
});
