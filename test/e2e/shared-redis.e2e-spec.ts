import Redis from 'ioredis';
import { ClientRedis } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { waitUntil } from '../../scripts/lib/processes';
import { EventName } from '../../src/events/event-contracts';
import { Command } from '../../src/events/patterns';
import { EventListener } from '../support/event-listener';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Two deployments on one Redis, each with its own database. They share REDIS_KEY_PREFIX on
 * purpose (both keep the default, as two teams would), so only REDIS_CHANNEL_PREFIX keeps their
 * commands, replies, events, cancel broadcasts and queues apart.
 */
describe('two deployments sharing one Redis', () => {
  const keyPrefix = `shared-${randomUUID().slice(0, 8)}`;
  let a: TestApp;
  let b: TestApp;
  let openai: FakeServer;
  let eventsOfA: EventListener;
  let eventsOfB: EventListener;
  let unprefixed: EventListener;

  const redisUrl = () => `redis://${a.config.redis.host}:${a.config.redis.port}`;
  const statusIn = async (app: TestApp, id: string) => (await app.sql.query(`SELECT status FROM inference_requests WHERE id = $1`, [id]))[0]?.status;
  const slowChat = (app: TestApp, id: string) =>
    request(app.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'slow', fallback: false, messages: [{ role: 'user', content: 'take your time' }] },
      headers: { 'X-Request-Id': id },
    });

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    a = await startTestApp({ REDIS_KEY_PREFIX: keyPrefix, REDIS_CHANNEL_PREFIX: 'dep-a:' });
    b = await startTestApp({ REDIS_KEY_PREFIX: keyPrefix, REDIS_CHANNEL_PREFIX: 'dep-b:' });
    eventsOfA = await EventListener.start(redisUrl(), undefined, 'dep-a:');
    eventsOfB = await EventListener.start(redisUrl(), undefined, 'dep-b:');
    unprefixed = await EventListener.start(redisUrl());
    for (const app of [a, b]) await registerModel(app, { model_id: 'slow', provider: 'openai', capabilities: ['chat'], api_url: openai.url });
  });

  afterAll(async () => {
    for (const listener of [eventsOfA, eventsOfB, unprefixed]) await listener.close();
    await b.close();
    await a.close();
    await openai.close();
  });

  it('a cancel command reaches only its own deployment, even for an id both deployments are running', async () => {
    openai.behave('slow', { text: 'finished anyway', delayMs: 1500 });
    const onA = slowChat(a, 'req-shared-id');
    const onB = slowChat(b, 'req-shared-id');
    await waitUntil(async () => (await statusIn(a, 'req-shared-id')) === 'running' && (await statusIn(b, 'req-shared-id')) === 'running');

    const reply = await firstValueFrom(a.commands.send(Command.CancelRequest, { request_id: 'req-shared-id' }));

    expect(reply).toEqual({ request_id: 'req-shared-id', status: 'cancelled' });
    expect((await onA).body).toMatchObject({ metadata: { finish_reason: 'cancelled' } });
    expect((await onB).body).toMatchObject({ content: 'finished anyway', metadata: { finish_reason: 'stop' } });
    expect(await statusIn(a, 'req-shared-id')).toBe('cancelled');
    expect(await statusIn(b, 'req-shared-id')).toBe('completed');
  });

  it('a cancel command for a request the other deployment runs answers not_found and leaves it running', async () => {
    openai.behave('slow', { text: 'untouched', delayMs: 800 });
    const onA = slowChat(a, 'req-only-on-a');
    await waitUntil(async () => (await statusIn(a, 'req-only-on-a')) === 'running');

    const reply = await firstValueFrom(b.commands.send(Command.CancelRequest, { request_id: 'req-only-on-a' })).catch((error: unknown) => error);

    expect(reply).toMatchObject({ code: 'not_found' });
    expect((await onA).body).toMatchObject({ content: 'untouched', metadata: { finish_reason: 'stop' } });
  });

  it('a register command affects only its own deployment', async () => {
    const reply = await firstValueFrom(
      a.commands.send(Command.RegisterModel, {
        model_id: 'registered-on-a',
        provider: 'openai',
        capabilities: ['chat'],
        configuration: { api_url: openai.url },
        performance_baseline: { quality_score: 0.5 },
        properties: { context_length: 8000, token_limit: 1000, pricing: { input: 0, output: 0 } },
      }),
    );

    expect(reply).toMatchObject({ id: 'registered-on-a' });
    const modelIds = async (app: TestApp) => ((await request(app.baseUrl, 'GET', '/api/models')).body.models as { id: string }[]).map((m) => m.id);
    expect(await modelIds(a)).toContain('registered-on-a');
    expect(await modelIds(b)).not.toContain('registered-on-a');
  });

  it("a plain Nest client reaches a deployment by sending the prefixed pattern, as docs/api.md says", async () => {
    const plain = new ClientRedis({ ...a.config.redis });
    await plain.connect();
    try {
      const reply = await firstValueFrom(plain.send(`dep-b:${Command.CancelRequest}`, { request_id: 'no-such-request' })).catch((error: unknown) => error);
      expect(reply).toMatchObject({ code: 'not_found', details: { request_id: 'no-such-request' } });
    } finally {
      await plain.close();
    }
  });

  it("each deployment's subscribers get its events only; the SPEC's bare channels get none", async () => {
    openai.behave('slow', { text: 'hello', delayMs: 0 });
    expect((await slowChat(a, 'req-event-a')).status).toBe(200);
    expect((await slowChat(b, 'req-event-b')).status).toBe(200);

    await eventsOfA.waitFor(EventName.RequestCompleted, (e) => e.request_id === 'req-event-a');
    await eventsOfB.waitFor(EventName.RequestCompleted, (e) => e.request_id === 'req-event-b');
    // Both were published by now; give a stray copy on a wrong channel time to arrive as well.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsOfA.events(EventName.RequestCompleted, (e) => e.request_id === 'req-event-b')).toEqual([]);
    expect(eventsOfB.events(EventName.RequestCompleted, (e) => e.request_id === 'req-event-a')).toEqual([]);
    expect(unprefixed.received.filter((r) => JSON.stringify(r.envelope).includes('req-event-'))).toEqual([]);
  });

  it("queued requests are run by their own deployment's workers only", async () => {
    openai.behave('slow', { text: 'queued answer', delayMs: 0 });
    const ids = Array.from({ length: 6 }, (_, i) => `req-queued-${i}`);
    for (const id of ids) {
      const accepted = await request(a.baseUrl, 'POST', '/api/models/chat', {
        body: { model_id: 'slow', messages: [{ role: 'user', content: id }] },
        headers: { 'X-Request-Id': id, Prefer: 'respond-async' },
      });
      expect(accepted.status).toBe(202);
    }

    // B's workers listen on the same Redis and key prefix: had they taken a job, its row (which B
    // does not have) would never complete on A.
    await waitUntil(async () => {
      const rows = await a.sql.query(`SELECT count(*)::int AS done FROM inference_requests WHERE id = ANY($1) AND status = 'completed'`, [ids]);
      return rows[0].done === ids.length;
    }, 15_000);
    expect(await b.sql.query(`SELECT id FROM inference_requests WHERE id = ANY($1)`, [ids])).toEqual([]);
    // Which worker wins a job is up to Redis, so the layout is asserted too: each deployment's queues under its own prefix.
    const redis = new Redis(redisUrl());
    const queueKeys = await redis.keys(`*${keyPrefix}:*`).finally(() => redis.quit());
    expect(queueKeys.some((key) => key.startsWith(`dep-a:${keyPrefix}:`))).toBe(true);
    expect(queueKeys.some((key) => key.startsWith(`dep-b:${keyPrefix}:`))).toBe(true);
    expect(queueKeys.filter((key) => !/^dep-[ab]:/.test(key))).toEqual([]);
  });
});
