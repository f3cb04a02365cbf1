import Redis from 'ioredis';
import OpenAI, { APIError } from 'openai';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * The response cache (docs/api.md 'Response cache') on the real app, Postgres and Redis, with a fake
 * OpenAI upstream that counts the calls: a hit answers the same body without a provider call, is
 * recorded as cached at no cost and without observation, streams replay their deltas, keys do not
 * share entries, entries expire, and the cache stays within its size cap.
 */
describe('response cache', () => {
  let service: TestApp;
  let openai: FakeServer;
  let redis: Redis;
  let client: OpenAI;
  let upstreamCalls: () => number;

  const chat = (body: Record<string, unknown>, headers: Record<string, string> = admin) =>
    request(service.baseUrl, 'POST', '/api/models/chat', { headers, body: { model_id: 'cache-gpt', ...body } });
  const row = async (id: string) =>
    (await service.sql.query(`SELECT status, cached, cost::float8 AS cost, model_id FROM inference_requests WHERE id = $1`, [id]))[0];
  const observationsOf = async (id: string) =>
    (await service.sql.query(`SELECT count(*)::int AS n FROM performance_observations WHERE request_id = $1`, [id]))[0].n as number;

  async function createKey(body: Record<string, unknown>): Promise<string> {
    const created = await request(service.baseUrl, 'POST', '/api/admin/keys', { headers: admin, body });
    expect(created.status).toBe(200);
    return created.body.key as string;
  }

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    upstreamCalls = () => openai.requests.filter((r) => r.path.endsWith('/chat/completions') || r.path.endsWith('/completions')).length;
    service = await startTestApp({ CLIENT_AUTH: 'keys' });
    redis = new Redis(service.config.redis);
    await registerModel(service, {
      model_id: 'cache-gpt',
      provider: 'openai',
      capabilities: ['chat', 'completion'],
      api_url: openai.url,
      api_key: 'sk-upstream',
      pricing: { input: 0.001, output: 0.002 },
    });
    client = new OpenAI({ baseURL: `${service.baseUrl}/v1`, apiKey: ADMIN_TOKEN, maxRetries: 0 });
  });

  afterAll(async () => {
    await redis.quit();
    await service.close();
    await openai.close();
  });

  it('answers an identical request from the cache: same body, no provider call, recorded as cached at no cost and without observation', async () => {
    const body = { messages: [{ role: 'user', content: 'Name a colour.' }], temperature: 0.1, cache: { ttl_seconds: 60 } };
    const first = await chat(body);
    expect(first.status).toBe(200);
    expect(first.body.cached).toBeUndefined();
    expect(first.headers.get('x-cache')).toBe('miss');
    const calls = upstreamCalls();

    const second = await chat({ ...body, messages: [{ content: 'Name a colour.', role: 'user' }] });
    expect(second.status).toBe(200);
    expect(upstreamCalls()).toBe(calls);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.body).toMatchObject({ cached: true, content: first.body.content, model: first.body.model, metadata: first.body.metadata });
    expect(second.body.usage).toEqual({ ...first.body.usage, estimated_cost: 0 });
    expect(second.body.completion_id).not.toBe(first.body.completion_id);

    expect(await row(second.body.completion_id)).toEqual({ status: 'completed', cached: true, cost: 0, model_id: 'cache-gpt' });
    expect(await row(first.body.completion_id)).toMatchObject({ cached: false, model_id: 'cache-gpt' });
    expect(await observationsOf(first.body.completion_id)).toBe(1);
    expect(await observationsOf(second.body.completion_id)).toBe(0);

    // Feedback on the replay would rate an answer the model did not give again.
    const feedback = await request(service.baseUrl, 'POST', '/api/models/feedback', { headers: admin, body: { request_id: second.body.completion_id, success: true } });
    expect(feedback.status).toBe(409);

    const metrics = await fetch(`${service.baseUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/mos_response_cache_total\{result="hit"\} [1-9]/);
    expect(metrics).toMatch(/mos_response_cache_total\{result="store"\} [1-9]/);
  });

  it('misses when the messages or any parameter differ, and when a request asks no caching', async () => {
    const base = { messages: [{ role: 'user', content: 'Count to three.' }], temperature: 0.1, cache: { ttl_seconds: 60 } };
    await chat(base);
    for (const changed of [{ ...base, temperature: 0.2 }, { ...base, messages: [{ role: 'user', content: 'Count to four.' }] }, { ...base, max_tokens: 50 }]) {
      const calls = upstreamCalls();
      const answer = await chat(changed);
      expect(answer.headers.get('x-cache')).toBe('miss');
      expect(upstreamCalls()).toBe(calls + 1);
    }
    const calls = upstreamCalls();
    const optedOut = await chat({ ...base, cache: { ttl_seconds: 0 } });
    expect(optedOut.headers.get('x-cache')).toBeNull();
    expect(upstreamCalls()).toBe(calls + 1);
  });

  it('serves /v1 with X-Cache-TTL: the hit says X-Cache: hit and has the same content', async () => {
    const ask = () =>
      client.chat.completions
        .create({ model: 'cache-gpt', messages: [{ role: 'user', content: 'Say yes.' }] }, { headers: { 'X-Cache-TTL': '60' } })
        .withResponse();
    const first = await ask();
    expect(first.response.headers.get('x-cache')).toBe('miss');
    const calls = upstreamCalls();
    const second = await ask();
    expect(upstreamCalls()).toBe(calls);
    expect(second.response.headers.get('x-cache')).toBe('hit');
    expect(second.data.choices).toEqual(first.data.choices);
    expect(second.data.id).not.toBe(first.data.id);
    expect(second.response.headers.get('x-estimated-cost')).toBe('0');
  });

  it('replays a streamed answer as the same deltas, in order, through the SDK', async () => {
    openai.behave('cache-gpt', { text: 'one two three four five' });
    const stream = async () => {
      const { data, response } = await client.chat.completions
        .create({ model: 'cache-gpt', stream: true, messages: [{ role: 'user', content: 'Stream five words.' }] }, { headers: { 'X-Cache-TTL': '60' } })
        .withResponse();
      const deltas: string[] = [];
      const finishes: (string | null)[] = [];
      for await (const chunk of data) {
        const choice = chunk.choices[0];
        if (choice?.delta.content) deltas.push(choice.delta.content);
        if (choice?.finish_reason) finishes.push(choice.finish_reason);
      }
      return { deltas, finishes, cache: response.headers.get('x-cache') };
    };
    try {
      const first = await stream();
      expect(first.cache).toBe('miss');
      expect(first.deltas.length).toBeGreaterThan(1);
      const calls = upstreamCalls();
      const second = await stream();
      expect(upstreamCalls()).toBe(calls);
      expect(second).toEqual({ ...first, cache: 'hit' });

      // An answer that was not streamed, asked again as a stream, comes as its content.
      const plain = await client.chat.completions.create({ model: 'cache-gpt', messages: [{ role: 'user', content: 'Stream five words.' }] }, { headers: { 'X-Cache-TTL': '60' } });
      expect(plain.choices[0].message.content).toBe(first.deltas.join(''));
    } finally {
      openai.behave('cache-gpt', {});
    }
  });

  it('serves /v1/messages from the cache too, streams replayed in Anthropic events', async () => {
    const messages = (stream: boolean) =>
      fetch(`${service.baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_TOKEN, 'X-Cache-TTL': '60' },
        body: JSON.stringify({ model: 'cache-gpt', max_tokens: 64, stream, messages: [{ role: 'user', content: 'Anthropic style.' }] }),
      });
    const first = await messages(false);
    expect(first.headers.get('x-cache')).toBe('miss');
    const firstBody = (await first.json()) as { content: { type: string; text: string }[] };
    const calls = upstreamCalls();
    const second = await messages(false);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(((await second.json()) as typeof firstBody).content).toEqual(firstBody.content);
    const streamed = await messages(true);
    expect(streamed.headers.get('x-cache')).toBe('hit');
    const text = await streamed.text();
    const deltas = [...text.matchAll(/"text_delta","text":"((?:[^"\\]|\\.)*)"/g)].map((match) => JSON.parse(`"${match[1]}"`) as string);
    expect(deltas.join('')).toBe(firstBody.content[0].text);
    expect(text).toContain('event: message_stop');
    expect(upstreamCalls()).toBe(calls);
  });

  it("keeps each key's entries its own, and uses a key's default TTL unless the request opts out", async () => {
    const keyA = await createKey({ name: 'cache-a', cache_ttl_seconds: 60 });
    const keyB = await createKey({ name: 'cache-b' });
    const asKey = (key: string) => ({ authorization: `Bearer ${key}` });
    const body = { messages: [{ role: 'user', content: 'A private question.' }] };

    expect((await chat(body, asKey(keyA))).headers.get('x-cache')).toBe('miss');
    const hitA = await chat(body, asKey(keyA));
    expect(hitA.headers.get('x-cache')).toBe('hit');

    const calls = upstreamCalls();
    const fromB = await chat({ ...body, cache: { ttl_seconds: 60 } }, asKey(keyB));
    expect(fromB.headers.get('x-cache')).toBe('miss');
    expect(upstreamCalls()).toBe(calls + 1);
    // Key B has no default: without asking, it does not use the cache at all.
    expect((await chat(body, asKey(keyB))).headers.get('x-cache')).toBeNull();
    // The operator's token has its own scope too.
    expect((await chat({ ...body, cache: { ttl_seconds: 60 } })).headers.get('x-cache')).toBe('miss');

    const optedOut = await chat({ ...body, cache: { ttl_seconds: 0 } }, asKey(keyA));
    expect(optedOut.headers.get('x-cache')).toBeNull();
    expect(optedOut.body.cached).toBeUndefined();

    const listed = await request(service.baseUrl, 'GET', '/api/admin/keys', { headers: admin });
    expect(listed.body.keys.find((k: { name: string }) => k.name === 'cache-a').cache_ttl_seconds).toBe(60);
  });

  it('forgets an answer once its TTL has passed', async () => {
    const body = { messages: [{ role: 'user', content: 'Short-lived.' }], cache: { ttl_seconds: 1 } };
    await chat(body);
    expect((await chat(body)).headers.get('x-cache')).toBe('hit');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const calls = upstreamCalls();
    expect((await chat(body)).headers.get('x-cache')).toBe('miss');
    expect(upstreamCalls()).toBe(calls + 1);
  });

  it('refuses a bad cache.ttl_seconds with 400 naming the field, and a bad X-Cache-TTL in OpenAI shape naming the header', async () => {
    for (const ttl of [-1, 1.5, 'soon', 86_401]) {
      const bad = await chat({ messages: [{ role: 'user', content: 'x' }], cache: { ttl_seconds: ttl } });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body.error.details.fields)).toEqual(['cache.ttl_seconds']);
    }
    for (const header of ['-1', 'soon', '86401']) {
      const failure = await client.chat.completions
        .create({ model: 'cache-gpt', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'X-Cache-TTL': header } })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(APIError);
      expect((failure as APIError).status).toBe(400);
      expect((failure as APIError).error).toMatchObject({ type: 'invalid_request_error', param: 'X-Cache-TTL' });
    }
  });
});

describe('response cache size cap', () => {
  let service: TestApp;
  let openai: FakeServer;
  let redis: Redis;
  const cap = 4096;

  const keyOf = (name: string) => `${service.config.redisKeyPrefix}:cache:${name}`;
  const chat = (content: string) =>
    request(service.baseUrl, 'POST', '/api/models/chat', { body: { model_id: 'cap-gpt', messages: [{ role: 'user', content }], cache: { ttl_seconds: 60 } } });

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp({ CACHE_MAX_BYTES: String(cap), CACHE_MAX_ENTRY_BYTES: '3072' });
    redis = new Redis(service.config.redis);
    await registerModel(service, { model_id: 'cap-gpt', provider: 'openai', capabilities: ['chat'], api_url: openai.url, api_key: 'sk-upstream' });
  });

  afterAll(async () => {
    await redis.quit();
    await service.close();
    await openai.close();
  });

  it('evicts the oldest entries to stay within CACHE_MAX_BYTES, and stores no entry above CACHE_MAX_ENTRY_BYTES', async () => {
    for (let i = 0; i < 8; i++) {
      expect((await chat(`Question number ${i}.`)).status).toBe(200);
      const total = Number(await redis.get(keyOf('total')));
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(cap);
    }
    // The tracked total is the size of the entries it indexes.
    const sizes = (await redis.hvals(keyOf('sizes'))).map(Number);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(Number(await redis.get(keyOf('total'))));
    expect(await redis.zcard(keyOf('index'))).toBe(sizes.length);
    expect(sizes.length).toBeLessThan(8);

    expect((await chat('Question number 0.')).headers.get('x-cache')).toBe('miss');
    expect((await chat('Question number 7.')).headers.get('x-cache')).toBe('hit');

    const entries = await redis.zcard(keyOf('index'));
    openai.behave('cap-gpt', { text: 'long '.repeat(1000) });
    expect((await chat('A long answer, please.')).status).toBe(200);
    expect((await chat('A long answer, please.')).headers.get('x-cache')).toBe('miss');
    expect(await redis.zcard(keyOf('index'))).toBe(entries);
  });

  it('drops expired entries from the tracked total', async () => {
    openai.behave('cap-gpt', {});
    await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'cap-gpt', messages: [{ role: 'user', content: 'Gone soon.' }], cache: { ttl_seconds: 1 } },
    });
    const [expiring] = await redis.zrange(keyOf('index'), -1, -1);
    expect(await redis.hexists(keyOf('sizes'), expiring)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // The next store reconciles what expired before it counts its own size.
    await chat('Something new.');
    const now = await redis.zrange(keyOf('index'), 0, -1);
    expect(now).not.toContain(expiring);
    for (const id of now) expect(await redis.exists(keyOf(`e:${id}`))).toBe(1);
    const sizes = (await redis.hvals(keyOf('sizes'))).map(Number);
    expect(sizes.length).toBe(now.length);
    expect(Number(await redis.get(keyOf('total')))).toBe(sizes.reduce((sum, size) => sum + size, 0));
  });
});
