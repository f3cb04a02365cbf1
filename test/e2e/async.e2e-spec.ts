import { firstValueFrom } from 'rxjs';
import { waitUntil } from '../../scripts/lib/processes';
import { EventName } from '../../src/events/event-contracts';
import { Command } from '../../src/events/patterns';
import { ClientKeysService } from '../../src/access/client-keys.service';
import { EventListener } from '../support/event-listener';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';

describe('asynchronous requests', () => {
  let service: TestApp;
  let openai: FakeServer;
  let events: EventListener;
  const submit = (content: string, id: string, headers: Record<string, string> = { Prefer: 'respond-async' }) =>
    request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'queued-model', messages: [{ role: 'user', content }] },
      headers: { 'X-Request-Id': id, ...headers },
    });
  const status = async (id: string) => (await request(service.baseUrl, 'GET', `/api/models/requests/${id}`)).body;

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    service = await startTestApp({ ASYNC_CONCURRENCY: '1' });
    events = await EventListener.start(`redis://${service.config.redis.host}:${service.config.redis.port}`);
    await registerModel(service, { model_id: 'queued-model', provider: 'openai', capabilities: ['chat'], api_url: openai.url });
  });

  afterAll(async () => {
    await events.close();
    await service.close();
    await openai.close();
  });

  beforeEach(() => openai.reset());

  it('answers 202 at once, then goes queued -> running -> completed with the SPEC body', async () => {
    openai.behave('queued-model', { text: 'done later', delayMs: 400 });
    const accepted = await submit('first', 'req-async-1');
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-request-id')).toBe('req-async-1');
    expect(accepted.body).toEqual({ completion_id: 'req-async-1', status: 'queued', created_at: expect.any(String) });

    const seen = new Set<string>();
    await waitUntil(async () => {
      const { status: s } = await status('req-async-1');
      seen.add(s);
      return s === 'completed';
    });
    expect(seen.has('running')).toBe(true);
    const final = await status('req-async-1');
    expect(final).toMatchObject({
      completion_id: 'req-async-1',
      status: 'completed',
      completed_at: expect.any(String),
      error: null,
      result: { completion_id: 'req-async-1', content: 'done later', model: { id: 'queued-model', provider: 'openai' }, metadata: { finish_reason: 'stop' } },
    });
    await events.waitFor(EventName.RequestCompleted, (e) => e.request_id === 'req-async-1');
  });

  it('never calls the provider for a request cancelled while still queued', async () => {
    openai.behave('queued-model', { text: 'slow', delayMs: 1500 });
    await submit('occupies the only worker slot', 'req-async-busy', { Prefer: 'wait=1, respond-async' });
    await waitUntil(async () => (await status('req-async-busy')).status === 'running');
    const queued = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'queued-model', async: true, messages: [{ role: 'user', content: 'never sent' }] },
      headers: { 'X-Request-Id': 'req-async-queued' },
    });
    expect(queued.status).toBe(202);
    expect((await status('req-async-queued')).status).toBe('queued');

    const reply = await firstValueFrom(service.commands.send(Command.CancelRequest, { request_id: 'req-async-queued' }));
    expect(reply).toEqual({ request_id: 'req-async-queued', status: 'cancelled' });
    await waitUntil(async () => (await status('req-async-busy')).status === 'completed', 10_000);

    expect(openai.requests.map((r) => r.body.messages[0].content)).toEqual(['occupies the only worker slot']);
    expect(await status('req-async-queued')).toMatchObject({ status: 'cancelled', result: null });
    const event = await events.waitFor(EventName.RequestFailed, (e) => e.request_id === 'req-async-queued');
    expect(event).toMatchObject({ model_id: 'queued-model', error: { code: 'cancelled' } });
  });

  it('aborts a running asynchronous request', async () => {
    openai.behave('queued-model', { delayMs: 30_000 });
    await submit('long one', 'req-async-active');
    await waitUntil(async () => (await status('req-async-active')).status === 'running');
    const reply = await firstValueFrom(service.commands.send(Command.CancelRequest, { request_id: 'req-async-active' }));
    expect(reply).toEqual({ request_id: 'req-async-active', status: 'cancelled' });
    expect(await status('req-async-active')).toMatchObject({ status: 'cancelled', result: { metadata: { finish_reason: 'cancelled' } } });
  });

  it('retries a request whose candidates all failed with retryable errors, after a backoff', async () => {
    openai.behave('queued-model', { error: { status: 503, message: 'overloaded' } });
    await submit('try again', 'req-async-retry');
    await waitUntil(() => openai.requests.length === 1);
    openai.behave('queued-model', { text: 'second time lucky' });
    await waitUntil(async () => (await status('req-async-retry')).status === 'completed', 10_000);
    expect(openai.requests).toHaveLength(2);
    expect((await status('req-async-retry')).result).toMatchObject({ content: 'second time lucky' });
    await events.waitFor(EventName.RequestFailed, (e) => e.request_id === 'req-async-retry' && e.error.code === 'server_error');
    await events.waitFor(EventName.RequestCompleted, (e) => e.request_id === 'req-async-retry');
  });

  it('records a fault before the provider call and tries again, so a claimed request never stays running', async () => {
    // Only the worker looks the caller up again, so the fault hits the claimed request, not its admission.
    const lookUp = jest.spyOn(service.app.get(ClientKeysService), 'callerFor').mockRejectedValueOnce(new Error('connection reset by the database'));
    try {
      openai.behave('queued-model', { text: 'after the fault' });
      await submit('fault first', 'req-async-fault');
      await events.waitFor(EventName.RequestFailed, (e) => e.request_id === 'req-async-fault' && e.error.code === 'internal_error');
      await waitUntil(async () => (await status('req-async-fault')).status === 'completed', 10_000);
      expect((await status('req-async-fault')).result).toMatchObject({ content: 'after the fault' });
    } finally {
      lookUp.mockRestore();
    }
  });

  it('records a request whose every try hit a fault as failed, not running', async () => {
    const lookUp = jest.spyOn(service.app.get(ClientKeysService), 'callerFor').mockRejectedValue(new Error('connection reset by the database'));
    try {
      await submit('always a fault', 'req-async-faults');
      await waitUntil(() => lookUp.mock.calls.length === 3, 15_000);
      await waitUntil(async () => (await status('req-async-faults')).status === 'failed', 5_000);
      expect((await status('req-async-faults')).error).toMatchObject({ code: 'internal_error' });
      expect(openai.requests).toHaveLength(0);
    } finally {
      lookUp.mockRestore();
    }
  });

  it('refuses at once what it could never run, and asynchronous streams', async () => {
    const unknown = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'ghost', async: true, messages: [{ role: 'user', content: 'x' }] },
    });
    expect(unknown.status).toBe(404);
    const stream = await request(service.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'queued-model', async: true, stream: true, messages: [{ role: 'user', content: 'x' }] },
    });
    expect(stream.status).toBe(400);
    expect(Object.keys(stream.body.error.details.fields)).toEqual(['async']);
    expect((await request(service.baseUrl, 'GET', '/api/models/requests/nope')).status).toBe(404);
  });
});
