import { FakeServer, startFakeOpenAi } from '../support/fake-openai';
import { request } from '../support/http';
import { ServiceProcess } from '../support/service-process';
import { ADMIN_TOKEN, TestDatabase } from '../support/test-app';

/** A provider key as an operator registers it; it must never reach the logs. */
const PROVIDER_KEY = 'sk-logging-e2e-0123456789abcdef';

describe('structured logs of the running service', () => {
  let db: TestDatabase;
  let openai: FakeServer;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await TestDatabase.create();
    await db.migrate();
    openai = await startFakeOpenAi();
    // The vendor's error message quotes the key, as real vendors do for a wrong one.
    openai.behave('flaky-gpt', { error: { status: 500, message: `upstream exploded while serving key ${PROVIDER_KEY}` } });
  }, 60_000);

  afterEach(() => service?.kill());

  afterAll(async () => {
    await openai.close();
    await db.drop();
  });

  const chat = (baseUrl: string, requestId: string, headers: Record<string, string> = {}) =>
    request(baseUrl, 'POST', '/api/models/chat', {
      headers: { 'X-Request-Id': requestId, ...headers },
      body: { model_id: 'flaky-gpt', fallback: false, messages: [{ role: 'user', content: 'hi' }] },
    });

  it('at LOG_LEVEL=log: every line is JSON, each line of a request carries its id, and no secret is written', async () => {
    service = await ServiceProcess.start(db, { LOG_LEVEL: 'log' });
    const { baseUrl } = service;

    const registered = await request(baseUrl, 'POST', '/api/admin/models', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'X-Request-Id': 'req-log-register' },
      body: { model_id: 'flaky-gpt', provider: 'openai', capabilities: ['chat'], configuration: { api_url: openai.url, api_key: PROVIDER_KEY } },
    });
    expect(registered.status).toBe(200);
    const failed = await chat(baseUrl, 'req-log-chat');
    expect(failed.status).toBe(503);
    const queued = await chat(baseUrl, 'req-log-async', { Prefer: 'respond-async' });
    expect(queued.status).toBe(202);
    // A request without an id of its own still gets one in its lines.
    expect((await fetch(`${baseUrl}/api/models`)).status).toBe(200);

    await service.waitForLine((line) => line.request_id === 'req-log-chat' && line.context === 'HTTP');
    await service.waitForLine((line) => line.request_id === 'req-log-async' && line.context === 'InferenceProcessor');
    await service.waitForLine((line) => line.context === 'HTTP' && line.path === '/api/models');
    expect(await service.stop()).toBe(0);

    const lines = service.lines();
    for (const line of lines) {
      expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(line.level);
    }
    // Nest's own lines and main's come through the same logger.
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', context: 'NestApplication', msg: 'Nest application successfully started' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', context: 'Bootstrap', msg: expect.stringContaining('Listening on port') }));
    expect(lines.filter((line) => line.context === 'Bootstrap').every((line) => line.request_id === undefined)).toBe(true);

    expect(service.linesOf('req-log-register')).toEqual([
      expect.objectContaining({ level: 'info', context: 'ModelsService', msg: 'Registered model flaky-gpt (openai)' }),
      expect.objectContaining({ level: 'info', context: 'HTTP', method: 'POST', path: '/api/admin/models', status: 200 }),
    ]);

    const [warning, access] = service.linesOf('req-log-chat');
    expect(warning).toMatchObject({ level: 'warn', context: 'ErrorFilter', msg: 'Every candidate model failed', code: 'no_model_available' });
    expect(warning.details.attempts).toEqual([
      expect.objectContaining({ model_id: 'flaky-gpt', error: expect.objectContaining({ status: 500, message: expect.stringContaining('[redacted]') }) }),
    ]);
    expect(access).toMatchObject({ level: 'info', context: 'HTTP', method: 'POST', path: '/api/models/chat', status: 503 });
    expect(access.duration_ms).toEqual(expect.any(Number));

    // The queued request is logged under its id by the worker that runs it, as well as when it was accepted.
    expect(service.linesOf('req-log-async')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ context: 'HTTP', path: '/api/models/chat', status: 202 }),
        expect.objectContaining({ level: 'warn', context: 'InferenceProcessor', msg: expect.stringContaining('try 1 of 3') }),
      ]),
    );

    const listing = lines.find((line) => line.context === 'HTTP' && line.path === '/api/models')!;
    expect(listing.request_id).toMatch(/^[0-9a-f-]{36}$/);

    for (const secret of [PROVIDER_KEY, ADMIN_TOKEN]) {
      expect(service.stdout).not.toContain(secret);
      expect(service.stderr).not.toContain(secret);
    }
  }, 90_000);

  it('at LOG_LEVEL=warn: only warnings and errors are written, still with their request id', async () => {
    service = await ServiceProcess.start(db, { LOG_LEVEL: 'warn' });

    expect((await chat(service.baseUrl, 'req-warn-chat')).status).toBe(503);
    await service.waitForLine((line) => line.request_id === 'req-warn-chat');
    expect(await service.stop()).toBe(0);

    const lines = service.lines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(['warn', 'error', 'fatal']).toContain(line.level);
    expect(service.linesOf('req-warn-chat')).toEqual([
      expect.objectContaining({ level: 'warn', context: 'ErrorFilter', code: 'no_model_available' }),
    ]);
    expect(service.stdout).not.toContain(PROVIDER_KEY);
    expect(service.stderr).not.toContain(PROVIDER_KEY);
  }, 90_000);
});
