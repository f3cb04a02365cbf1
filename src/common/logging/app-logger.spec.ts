import { Logger } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadConfig, LogLevel } from '../../config/app-config';
import { AppLogger, AppLoggerOptions, createAppLogger } from './app-logger';
import { assignRequestId, RequestContext, runInRequestContext, runOutsideRequestContext, runWithRequestId } from './request-context';

/** A logger writing into memory; `lines()` parses what it wrote, one JSON object per line. */
function capture(level: LogLevel = 'verbose', options: Partial<AppLoggerOptions> = {}) {
  const written: string[] = [];
  const logger = new AppLogger({ level, ...options, destination: { write: (line: string) => void written.push(line) } });
  return {
    logger,
    raw: () => written.join(''),
    lines: () => written.map((line) => JSON.parse(line) as Record<string, any>),
  };
}

/** Nest's `Logger` (what the codebase uses) writing through the given logger. */
function nestLogger(logger: AppLogger, context = 'TestContext'): Logger {
  Logger.overrideLogger(logger);
  return new Logger(context);
}

describe('AppLogger', () => {
  it('writes one JSON object per line: ISO time, level, context, msg', () => {
    const { logger, raw, lines } = capture('log');
    nestLogger(logger, 'ModelsService').log('Registered model m1 (openai)');

    expect(raw().endsWith('\n')).toBe(true);
    expect(raw().split('\n')).toHaveLength(2);
    const [line] = lines();
    expect(line).toMatchObject({ level: 'info', context: 'ModelsService', msg: 'Registered model m1 (openai)' });
    expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(line).not.toHaveProperty('request_id');
  });

  it('writes Nest levels under the standard names log pipelines know', () => {
    const { logger, lines } = capture('verbose');
    const log = nestLogger(logger);
    log.verbose('v');
    log.debug('d');
    log.log('l');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(lines().map((line) => line.level)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
  });

  it('drops calls below LOG_LEVEL without looking at their arguments', () => {
    const { logger, lines } = capture('warn');
    const log = nestLogger(logger);
    const untouchable = {
      get model_id(): string {
        throw new Error('formatted a dropped line');
      },
    };
    log.log('not written', untouchable);
    log.debug('not written', untouchable);
    log.verbose('not written', untouchable);
    log.warn('written');
    log.error('written too');
    expect(lines().map((line) => line.level)).toEqual(['warn', 'error']);
    expect(logger.isLevelEnabled('log')).toBe(false);
    expect(logger.isLevelEnabled('warn')).toBe(true);
  });

  it('follows the levels Nest sets', () => {
    const { logger, lines } = capture('log');
    logger.setLogLevels(['error', 'fatal']);
    logger.warn('dropped');
    logger.error('kept');
    logger.setLogLevels(['debug', 'log', 'warn', 'error']);
    logger.debug('kept as well');
    expect(lines().map((line) => line.msg)).toEqual(['kept', 'kept as well']);
  });

  it('adds the id of the request being handled, through awaits, and none outside a request', async () => {
    const { logger, lines } = capture('log');
    const log = nestLogger(logger);
    await runWithRequestId('req-42', async () => {
      log.log('before the await');
      await nextTurn();
      log.warn('after the await');
    });
    log.log('outside');
    expect(lines().map((line) => line.request_id)).toEqual(['req-42', 'req-42', undefined]);
  });

  it('writes no request id for background work a request merely set off', async () => {
    const { logger, lines } = capture('log');
    await runWithRequestId('req-kicks-relay', () =>
      runOutsideRequestContext(async () => {
        await nextTurn();
        logger.log('relayed 12 events');
      }),
    );
    expect(lines()[0]).not.toHaveProperty('request_id');
  });

  it('uses one made-up id for a request without one, until the request settles its own', () => {
    const { logger, lines } = capture('log');
    runInRequestContext(new RequestContext(), () => {
      logger.log('first');
      logger.log('second');
      assignRequestId('req-settled');
      logger.log('third');
    });
    const [first, second, third] = lines().map((line) => line.request_id);
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).toBe(first);
    expect(third).toBe('req-settled');
  });

  it('reads the shapes of Nest logger calls: fields, errors, stacks, contexts', () => {
    const { logger, lines } = capture('log');
    const log = nestLogger(logger, 'OutboxRelay');
    const failure = new Error('connect ECONNREFUSED');
    log.warn('Outbox relay paused', { pending: 3 });
    log.error(failure);
    log.error('Query failed', failure.stack);
    Logger.error('Unexpected', failure.stack);
    logger.log({ msg: 'as an object', count: 2 });

    const [fields, error, withStack, staticCall, object] = lines();
    expect(fields).toMatchObject({ context: 'OutboxRelay', msg: 'Outbox relay paused', pending: 3 });
    expect(error).toMatchObject({ msg: 'connect ECONNREFUSED', err: { type: 'Error', message: 'connect ECONNREFUSED' } });
    expect(error.err.stack).toContain('app-logger.spec.ts');
    expect(withStack).toMatchObject({ context: 'OutboxRelay', msg: 'Query failed', err: { stack: failure.stack } });
    expect(staticCall).toMatchObject({ msg: 'Unexpected', err: { stack: failure.stack } });
    expect(staticCall).not.toHaveProperty('context');
    expect(object).toMatchObject({ msg: 'as an object', count: 2 });
  });

  it('keeps the first line of a stack trace logged as the message, and the trace under err', () => {
    const { logger, lines } = capture('log');
    const failure = new TypeError('model is undefined');
    nestLogger(logger, 'ErrorFilter').error(failure.stack);
    expect(lines()[0]).toMatchObject({ context: 'ErrorFilter', msg: 'TypeError: model is undefined', err: { stack: failure.stack } });
  });

  it('censors secret fields at any depth and keeps the rest', () => {
    const { logger, raw, lines } = capture('log');
    nestLogger(logger).log('register', {
      api_key: 'plain-secret-1',
      apiKey: 'plain-secret-2',
      password: 'plain-secret-3',
      token: 'plain-secret-4',
      configuration: { api_key: 'plain-secret-5', api_url: 'http://10.0.0.5:8000/v1' },
      headers: { authorization: 'plain-secret-6', 'x-api-key': 'plain-secret-7', accept: 'application/json' },
      attempts: [{ request: { headers: { Authorization: 'plain-secret-8' } } }],
      api_key_sealed: 'plain-secret-9',
      max_tokens: 256,
      token_limit: 4096,
    });
    expect(raw()).not.toContain('plain-secret');
    expect(lines()[0]).toMatchObject({
      api_key: '[redacted]',
      configuration: { api_key: '[redacted]', api_url: 'http://10.0.0.5:8000/v1' },
      headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', accept: 'application/json' },
      attempts: [{ request: { headers: { Authorization: '[redacted]' } } }],
      max_tokens: 256,
      token_limit: 4096,
    });
  });

  it('removes secret-looking strings from messages, field values and errors', () => {
    const { logger, raw, lines } = capture('log');
    const log = nestLogger(logger, 'ProvidersService');
    const sdkError = Object.assign(new Error('401 Incorrect API key provided: sk-proj-AAAAAAAAAAAAAAAA'), {
      status: 401,
      error: { message: 'Incorrect API key provided: sk-proj-AAAAAAAAAAAAAAAA' },
    });
    const wrapped = new Error('call failed', { cause: new Error('invalid x-api-key sk-ant-api03-BBBBBBBBBBBB') });
    log.warn('Provider said: Bearer CCCCCCCCCCCC is not valid', { detail: 'sent sk-DDDDDDDDDDDDDDDD', models: ['m1'] });
    log.error(sdkError);
    log.error('Call failed', wrapped);

    for (const secret of ['AAAAAAAA', 'BBBBBBBB', 'CCCCCCCC', 'DDDDDDDD']) expect(raw()).not.toContain(secret);
    const [message, error, cause] = lines();
    expect(message).toMatchObject({ msg: 'Provider said: Bearer [redacted] is not valid', detail: 'sent [redacted]', models: ['m1'] });
    expect(error.err).toMatchObject({ message: '401 Incorrect API key provided: [redacted]', status: 401 });
    expect(error.err.stack).toContain('Incorrect API key provided: [redacted]');
    expect(cause.err.cause).toMatchObject({ message: 'invalid x-api-key [redacted]' });
  });

  it('cuts cycles and long arrays instead of looping, and writes dates and URLs as text', () => {
    const { logger, lines } = capture('log');
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    const many = Array.from({ length: 10_000 }, (_, index) => index);
    logger.log('shapes', { cyclic, many, at: new Date(0), endpoint: new URL('postgres://app:s3cr3t-pass@db/mos') });

    const [line] = lines();
    expect(line.cyclic.self.self.name).toBe('a');
    expect(JSON.stringify(line.cyclic)).toContain('[truncated]');
    expect(line.many).toHaveLength(51);
    expect(line.many[50]).toBe('[9950 more]');
    expect(line.at).toBe('1970-01-01T00:00:00.000Z');
    expect(line.endpoint).toBe('postgres://app:[redacted]@db/mos');
  });

  it('removes the secrets of the configuration wherever they appear, whatever their shape', () => {
    const written: string[] = [];
    const config = loadConfig({
      ADMIN_TOKEN: 'admin-token-0123456789',
      CLIENT_API_KEYS: 'client-key-aaaaaaaaaaaa',
      ANTHROPIC_API_KEY: 'anthropic-plain-key-1234',
      DATABASE_URL: 'postgres://app:db-password-123@db:5432/mos',
    });
    const logger = createAppLogger(config, { write: (line: string) => void written.push(line) });
    logger.warn('seen admin-token-0123456789, client-key-aaaaaaaaaaaa and anthropic-plain-key-1234', {
      note: 'db-password-123 should not be here either',
    });
    const text = written.join('');
    for (const secret of ['admin-token-0123456789', 'client-key-aaaaaaaaaaaa', 'anthropic-plain-key-1234', 'db-password-123']) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).toMatchObject({ msg: 'seen [redacted], [redacted] and [redacted]' });
  });

  it('writes a readable line instead with LOG_FORMAT=pretty', () => {
    const { logger, raw } = capture('log', { format: 'pretty' });
    runWithRequestId('req-7', () => nestLogger(logger, 'InferenceService').warn('Every candidate model failed', { code: 'no_model_available' }));
    logger.error(new Error('boom'), 'ErrorFilter');
    const [warning, error, firstFrame] = raw().split('\n');
    expect(warning).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}\[InferenceService\] Every candidate model failed request_id=req-7 code=no_model_available$/);
    expect(error).toMatch(/ERROR \[ErrorFilter\] boom$/);
    expect(firstFrame).toBe('    Error: boom');
  });
});
