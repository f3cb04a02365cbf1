import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';
import { EphemeralRedis, waitUntil } from '../../scripts/lib/processes';
import { Sql } from '../../src/database/sql';
import { EventName, OutgoingEvent, RequestFailedEvent } from '../../src/events/event-contracts';
import { OutboxRelay } from '../../src/events/outbox-relay.service';
import { OutboxRepository } from '../../src/events/outbox.repository';
import { EventListener } from '../support/event-listener';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';

const failed = (request_id: string): OutgoingEvent => ({
  name: EventName.RequestFailed,
  payload: {
    request_id,
    model_id: 'gpt-4o',
    error: { code: 'server_error', message: 'upstream 500', details: {} },
    fallback_attempted: true,
    fallback_succeeded: true,
  },
});

const nestReceived: RequestFailedEvent[] = [];

/** A consumer written the Nest way, to prove the envelope is the one Nest's Redis transport reads. */
@Controller()
class NestConsumer {
  @EventPattern(EventName.RequestFailed)
  handle(@Payload() event: RequestFailedEvent): void {
    nestReceived.push(event);
  }
}

@Module({ controllers: [NestConsumer] })
class NestConsumerModule {}

describe('transactional outbox relayed to Redis', () => {
  let redis: EphemeralRedis;
  let service: TestApp;
  let listener: EventListener;
  let consumer: INestMicroservice;
  let outbox: OutboxRepository;
  let relay: OutboxRelay;
  let openai: FakeServer;

  const addInTransaction = (events: OutgoingEvent[]) =>
    service.app.get(Sql).transaction((tx) => outbox.add(tx, events));

  /**
   * Restarts Redis and lets the relay's own poller go on only once the listener has resubscribed:
   * events relayed before that would be published to no one, and the test would race the two
   * reconnections.
   */
  const restartRedisHoldingTheRelay = async () => {
    const held = jest.spyOn(relay, 'kick').mockImplementation(() => undefined);
    try {
      await redis.restart();
      await listener.subscribed();
    } finally {
      held.mockRestore();
    }
  };

  beforeAll(async () => {
    redis = await EphemeralRedis.start();
    openai = await startFakeOpenAi();
    service = await startTestApp({ REDIS_URL: redis.url });
    await registerModel(service, { model_id: 'oa-chat', provider: 'openai', capabilities: ['chat'], api_url: openai.url });
    outbox = service.app.get(OutboxRepository);
    relay = service.app.get(OutboxRelay);
    listener = await EventListener.start(redis.url);
    consumer = await NestFactory.createMicroservice<MicroserviceOptions>(NestConsumerModule, {
      transport: Transport.REDIS,
      options: { host: '127.0.0.1', port: redis.port, retryAttempts: 100, retryDelay: 100 },
      logger: false,
    });
    await consumer.listen();
  });

  afterAll(async () => {
    await consumer.close();
    await listener.close();
    await service.close();
    await redis.stop();
    await openai.close();
  });

  it('publishes a committed event on the channel of its name in the Nest envelope', async () => {
    await addInTransaction([failed('req-1')]);
    relay.kick();
    const event = await listener.waitFor(EventName.RequestFailed, (e) => e.request_id === 'req-1');
    expect(event).toEqual(failed('req-1').payload);
    expect(listener.received.find((r) => (r.envelope.data as RequestFailedEvent).request_id === 'req-1')?.envelope.pattern).toBe(
      EventName.RequestFailed,
    );
    await waitUntil(() => nestReceived.some((e) => e.request_id === 'req-1'));
    expect(nestReceived.find((e) => e.request_id === 'req-1')).toEqual(failed('req-1').payload);
    // The relay marks an event published after PUBLISH returns, so a subscriber may hear it first.
    await waitUntil(async () => (await outbox.countPending()) === 0);
  });

  it('publishes nothing for a transaction that rolls back', async () => {
    await expect(
      service.app.get(Sql).transaction(async (tx) => {
        await outbox.add(tx, [failed('req-rolled-back')]);
        throw new Error('business failure');
      }),
    ).rejects.toThrow('business failure');
    await addInTransaction([failed('req-after-rollback')]);
    relay.kick();
    await listener.waitFor(EventName.RequestFailed, (e) => e.request_id === 'req-after-rollback');
    expect(listener.events(EventName.RequestFailed, (e) => e.request_id === 'req-rolled-back')).toEqual([]);
  });

  it('keeps events while Redis is down and delivers them, in order, once it is back', async () => {
    await redis.stop();
    await addInTransaction([failed('req-while-down-1'), failed('req-while-down-2')]);
    await relay.flush();
    expect(await outbox.countPending()).toBe(2);

    await restartRedisHoldingTheRelay();
    await waitUntil(() => listener.events(EventName.RequestFailed, (e) => e.request_id.startsWith('req-while-down')).length === 2, 10_000);
    expect(listener.events(EventName.RequestFailed, (e) => e.request_id.startsWith('req-while-down')).map((e) => e.request_id)).toEqual([
      'req-while-down-1',
      'req-while-down-2',
    ]);
    // The relay marks events published after PUBLISH returns: the mark may land just after the listener hears them.
    await waitUntil(async () => (await outbox.countPending()) === 0, 5000);
  });

  it('serves a chat while Redis is down and publishes its event once Redis is back', async () => {
    await redis.stop();
    const { status } = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'oa-chat', messages: [{ role: 'user', content: 'hi' }] },
      headers: { 'X-Request-Id': 'req-redis-down' },
    });
    expect(status).toBe(200);
    await relay.flush();
    expect(await outbox.countPending()).toBe(1);

    await restartRedisHoldingTheRelay();
    const event = await listener.waitFor(EventName.RequestCompleted, (e) => e.request_id === 'req-redis-down', 10_000);
    expect(event.model_id).toBe('oa-chat');
  });
});
