import { Body, Controller, INestApplication, Logger, MiddlewareConsumer, Module, NestModule, Post, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'express';
import { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogLevel } from '../../config/app-config';
import { ignoredParamsHeader } from '../http/ignored-params';
import { RequestIdMiddleware } from '../http/request-id.middleware';
import { AppLogger } from './app-logger';
import { requestLogging } from './request-logging.middleware';

@Controller()
class ProbeController {
  private readonly logger = new Logger('Probe');

  /** Logs after the body was parsed and after an await, as a service deep in a request would. */
  @Post('probe')
  async probe(@Body() body: { name: string }): Promise<{ ok: true }> {
    await sleep(5);
    this.logger.warn(`probing ${body.name}`);
    return { ok: true };
  }

  /** Sets the header as the inference controllers do for hints a provider did not get. */
  @Post('hinted')
  hinted(@Res({ passthrough: true }) response: Response): { ok: true } {
    ignoredParamsHeader(response)(['logit_bias', 'seed']);
    return { ok: true };
  }

  @Post('inference')
  async inference(): Promise<{ ok: true }> {
    await sleep(1);
    this.logger.warn('inference');
    return { ok: true };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware).forRoutes('inference');
  }
}

/** A Nest app set up as `createApp` does it (logger, this middleware first, then the body parser). */
async function startProbe(level: LogLevel): Promise<{ app: INestApplication; url: string; lines: () => Record<string, any>[] }> {
  const written: string[] = [];
  const logger = new AppLogger({ level, destination: { write: (line: string) => void written.push(line) } });
  const app = await NestFactory.create<NestExpressApplication>(ProbeModule, { logger, bodyParser: false });
  app.use(requestLogging(logger));
  app.useBodyParser('json');
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, lines: () => written.map((line) => JSON.parse(line) as Record<string, any>) };
}

const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name: 'x' }) });

/** The access line is written when the response closes, just after the client has its answer. */
async function linesOfRequest(lines: () => Record<string, any>[], count: number): Promise<Record<string, any>[]> {
  const deadline = Date.now() + 2000;
  while (lines().filter((line) => line.context === 'HTTP').length < count && Date.now() < deadline) await sleep(5);
  return lines().filter((line) => line.context === 'HTTP' || line.context === 'Probe');
}

describe('requestLogging', () => {
  describe('at level log', () => {
    let probe: Awaited<ReturnType<typeof startProbe>>;
    beforeAll(async () => (probe = await startProbe('log')));
    afterAll(() => probe.app.close());

    it("carries the caller's X-Request-Id through body parsing and awaits, and writes one access line", async () => {
      const response = await post(`${probe.url}/probe?api_key=sk-query-secret-123`, { 'X-Request-Id': 'req-given-1' });
      expect(response.status).toBe(201);

      const [service, access] = await linesOfRequest(probe.lines, 1);
      expect(service).toMatchObject({ level: 'warn', context: 'Probe', msg: 'probing x', request_id: 'req-given-1' });
      expect(access).toMatchObject({
        level: 'info',
        context: 'HTTP',
        msg: 'request completed',
        request_id: 'req-given-1',
        method: 'POST',
        path: '/probe',
        status: 201,
      });
      expect(access.duration_ms).toBeGreaterThanOrEqual(5);
      expect(JSON.stringify(probe.lines())).not.toContain('sk-query-secret');
    });

    it('makes up one id for a request without a well-formed one, shared by all its lines', async () => {
      const before = probe.lines().length;
      await post(`${probe.url}/probe`, { 'X-Request-Id': 'not valid!' });
      await linesOfRequest(probe.lines, 2);
      const [service, access] = probe.lines().slice(before);
      expect(service.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(access.request_id).toBe(service.request_id);
    });

    it("uses an inference request's own id, as echoed in X-Request-Id", async () => {
      const before = probe.lines().length;
      const response = await post(`${probe.url}/inference`);
      await linesOfRequest(probe.lines, 3);
      const [service, access] = probe.lines().slice(before);
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(service.request_id).toBe(id);
      expect(access.request_id).toBe(id);
    });

    it('names in the access line the hints the provider did not get, and nothing when there were none', async () => {
      const before = probe.lines().length;
      const accessBefore = probe.lines().filter((line) => line.context === 'HTTP').length;
      await post(`${probe.url}/hinted`);
      await post(`${probe.url}/probe`);
      await linesOfRequest(probe.lines, accessBefore + 2);
      const access = probe.lines().slice(before).filter((line) => line.context === 'HTTP');
      expect(access[0]).toMatchObject({ path: '/hinted', ignored_params: 'logit_bias,seed' });
      expect(access[1]).not.toHaveProperty('ignored_params');
    });
  });

  it('writes no access line below level log, and still tags warnings with the request id', async () => {
    const probe = await startProbe('warn');
    try {
      await post(`${probe.url}/probe`, { 'X-Request-Id': 'req-quiet-1' });
      // By the time a second request has been handled, the first one's response is long closed.
      await post(`${probe.url}/probe`, { 'X-Request-Id': 'req-quiet-2' });
      expect(probe.lines()).toEqual([
        expect.objectContaining({ level: 'warn', context: 'Probe', request_id: 'req-quiet-1' }),
        expect.objectContaining({ level: 'warn', context: 'Probe', request_id: 'req-quiet-2' }),
      ]);
    } finally {
      await probe.app.close();
    }
  });
});
