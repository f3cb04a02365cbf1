import { firstValueFrom } from 'rxjs';
import { waitUntil } from '../../scripts/lib/processes';
import { EventName } from '../../src/events/event-contracts';
import { Command } from '../../src/events/patterns';
import { EventListener } from '../support/event-listener';
import { registerModel } from '../support/factories';
import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { TINY_MODEL } from '../support/paths';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

const SLOW_TEXT = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');

describe('cancellation across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let openai: FakeServer;
  let events: EventListener;

  const statusOf = async (id: string) => (await a.sql.query(`SELECT status FROM inference_requests WHERE id = $1`, [id]))[0]?.status;
  const cancelByCommand = (id: string) => firstValueFrom(b.commands.send(Command.CancelRequest, { request_id: id }));

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    a = await startTestApp({ LOCAL_MODEL_PATH: TINY_MODEL });
    b = await startTestApp({ LOCAL_MODEL_PATH: TINY_MODEL }, a);
    events = await EventListener.start(`redis://${a.config.redis.host}:${a.config.redis.port}`);
    await registerModel(a, { model_id: 'slow', provider: 'openai', capabilities: ['chat'], api_url: openai.url });
    openai.behave('slow', { text: SLOW_TEXT, chunkDelayMs: 50, delayMs: 0 });
  });

  afterAll(async () => {
    await events.close();
    await b.close();
    await a.close();
    await openai.close();
  });

  it('stops a request running on instance A from a command answered by any instance; A\'s caller gets finish_reason cancelled', async () => {
    openai.behave('slow', { delayMs: 30_000 });
    const pending = request(a.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'slow', fallback: false, messages: [{ role: 'user', content: 'take your time' }] },
      headers: { 'X-Request-Id': 'req-cancel-cmd' },
    });
    await waitUntil(async () => (await statusOf('req-cancel-cmd')) === 'running');

    const sentAt = Date.now();
    const reply = await cancelByCommand('req-cancel-cmd');
    const response = await pending;
    const elapsed = Date.now() - sentAt;

    expect(reply).toEqual({ request_id: 'req-cancel-cmd', status: 'cancelled' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ completion_id: 'req-cancel-cmd', content: '', metadata: { finish_reason: 'cancelled' } });
    // The issue asks for 500 ms; the bound is looser so a loaded CI machine cannot fail it (typically ~50 ms here).
    expect(elapsed).toBeLessThan(1500);
    expect(await statusOf('req-cancel-cmd')).toBe('cancelled');
    const event = await events.waitFor(EventName.RequestFailed, (e) => e.request_id === 'req-cancel-cmd');
    expect(event).toMatchObject({ model_id: 'slow', error: { code: 'cancelled' }, fallback_attempted: false, fallback_succeeded: false });
    expect(events.events(EventName.RequestCompleted, (e) => e.request_id === 'req-cancel-cmd')).toEqual([]);
    openai.behave('slow', { text: SLOW_TEXT, chunkDelayMs: 50 });
  });

  it('cancels a stream on A through the admin endpoint of B, keeping the partial content', async () => {
    const response = await fetch(`${a.baseUrl}/api/models/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Request-Id': 'req-cancel-admin' },
      body: JSON.stringify({ model_id: 'slow', stream: true, messages: [{ role: 'user', content: 'go' }] }),
    });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('event: delta')) text += new TextDecoder().decode((await reader.read()).value);

    const cancel = await request(b.baseUrl, 'POST', '/api/admin/requests/req-cancel-admin/cancel', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toEqual({ request_id: 'req-cancel-admin', status: 'cancelled' });

    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    const done = JSON.parse(/event: done\ndata: (.*)\n/.exec(text)![1]) as { content: string; metadata: { finish_reason: string } };
    expect(done.metadata.finish_reason).toBe('cancelled');
    expect(done.content.length).toBeGreaterThan(0);
    expect(SLOW_TEXT.startsWith(done.content)).toBe(true);
    expect(done.content.length).toBeLessThan(SLOW_TEXT.length);
    const [row] = await a.sql.query(`SELECT status, finish_reason, response FROM inference_requests WHERE id = 'req-cancel-admin'`);
    expect(row).toMatchObject({ status: 'cancelled', finish_reason: 'cancelled' });
    expect(row.response.content).toBe(done.content);
  });

  it('really stops the local model: the recorded tokens are those produced before the cancel', async () => {
    const response = await fetch(`${a.baseUrl}/api/models/completion`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Request-Id': 'req-cancel-local' },
      body: JSON.stringify({ model_id: 'stories260k', stream: true, prompt: 'Once upon a time', max_tokens: 256, temperature: 0 }),
    });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('event: delta')) text += new TextDecoder().decode((await reader.read()).value);
    await cancelByCommand('req-cancel-local');
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);

    const deltas = [...text.matchAll(/event: delta\ndata: (.*)\n/g)].map((m) => (JSON.parse(m[1]) as { content: string }).content).join('');
    const done = JSON.parse(/event: done\ndata: (.*)\n/.exec(text)![1]) as { content: string; usage: { completion_tokens: number }; metadata: { finish_reason: string } };
    expect(done.metadata.finish_reason).toBe('cancelled');
    expect(done.content).toBe(deltas);
    expect(done.usage.completion_tokens).toBeLessThan(256);
  });

  it('answers 404 for an unknown request and 409 for a finished one; a second cancel is harmless', async () => {
    const unknown = await cancelByCommand('no-such-request').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'not_found', details: { request_id: 'no-such-request' } });

    const done = await request(a.baseUrl, 'POST', '/api/models/chat', {
      body: { model_id: 'slow', messages: [{ role: 'user', content: 'quick' }] },
      headers: { 'X-Request-Id': 'req-finished' },
    });
    expect(done.status).toBe(200);
    const finished = await request(b.baseUrl, 'POST', '/api/admin/requests/req-finished/cancel', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(finished.status).toBe(409);
    expect(finished.body.error.details).toMatchObject({ request_id: 'req-finished', status: 'completed' });

    expect(await cancelByCommand('req-cancel-cmd')).toEqual({ request_id: 'req-cancel-cmd', status: 'cancelled' });
    const malformed = await cancelByCommand('not valid!').catch((e: unknown) => e);
    expect(malformed).toMatchObject({ code: 'validation_failed' });
  });
});
