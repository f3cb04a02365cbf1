import { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import pino, { DestinationStream, Level as PinoLevel, Logger as Pino } from 'pino';
import type { AppConfig, LogFormat, LogLevel } from '../../config/app-config';
import { LogSanitizer } from './log-sanitizer';
import { prettyDestination } from './pretty';
import { currentRequestId } from './request-context';

/** Nest's levels, from the most to the least verbose, and the standard names they are written as. */
const NEST_LEVELS: readonly NestLogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
const PINO_LEVEL_OF: Record<NestLogLevel, PinoLevel> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** A string that is a stack trace (what `error.stack` holds) rather than a context name or a message. */
const STACK_TRACE = /\n\s+at /;

export interface AppLoggerOptions {
  level: LogLevel;
  /** `json` (default): one JSON object per line; `pretty`: one human-readable line (with a stack under it). */
  format?: LogFormat;
  /** Values that must never be written (admin token, client and provider keys); removed from every string. */
  secrets?: readonly (string | null | undefined)[];
  /** Where lines go; by default stdout, written asynchronously. */
  destination?: DestinationStream;
}

/** A log call as Nest's `Logger` makes it, sorted out. */
export interface LogEntry {
  msg?: string;
  context?: string;
  fields: Record<string, unknown>;
  err?: Error | { stack: string };
}

/**
 * The one logger of the service: Nest's `LoggerService` backed by pino, installed for the whole
 * app, so every `new Logger(Name)` and `Logger.log(..., 'Context')` call writes through it. A line
 * is one JSON object: `level`, `time` (ISO), `pid`, `hostname`, `request_id` (when written while
 * a request is handled), `context`, any structured fields, `err` ({type, message, stack, ...}),
 * and `msg`. Secrets are removed before anything is written (see LogSanitizer). A call below the
 * configured level returns before looking at its arguments.
 *
 * Structured fields are passed as an object: `this.logger.warn('Outbox relay paused', { pending: 3 })`;
 * an Error anywhere in the call becomes `err`.
 */
export class AppLogger implements LoggerService {
  private readonly pino: Pino;
  private readonly sanitizer: LogSanitizer;

  constructor(options: AppLoggerOptions) {
    this.sanitizer = new LogSanitizer(options.secrets);
    const sink = options.destination ?? (options.format === 'pretty' ? process.stdout : stdoutDestination());
    this.pino = pino(
      {
        level: PINO_LEVEL_OF[options.level],
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        // Errors arrive here already serialized and cleaned.
        serializers: { err: (err: unknown) => err },
        mixin: requestIdOfCurrentRequest,
      },
      options.format === 'pretty' ? prettyDestination(sink) : sink,
    );
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the levels to keep; pino has a threshold, so the most verbose of them sets it. */
  setLogLevels(levels: NestLogLevel[]): void {
    const threshold = NEST_LEVELS.find((level) => levels.includes(level));
    this.pino.level = threshold ? PINO_LEVEL_OF[threshold] : 'silent';
  }

  isLevelEnabled(level: NestLogLevel): boolean {
    return this.pino.isLevelEnabled(PINO_LEVEL_OF[level]);
  }

  private write(level: NestLogLevel, message: unknown, params: unknown[]): void {
    const pinoLevel = PINO_LEVEL_OF[level];
    if (!this.pino.isLevelEnabled(pinoLevel)) return;
    const entry = toLogEntry(message, params);
    const record: Record<string, unknown> = entry.context === undefined ? {} : { context: entry.context };
    Object.assign(record, this.sanitizer.fields(entry.fields));
    if (entry.err !== undefined) record.err = this.sanitizer.error(entry.err);
    this.pino[pinoLevel](record, entry.msg === undefined ? undefined : this.sanitizer.text(entry.msg));
  }
}

/** The logger the app runs with, from its configuration; every secret the configuration holds is kept out of the logs. */
export function createAppLogger(config: AppConfig, destination?: DestinationStream): AppLogger {
  return new AppLogger({ level: config.logLevel, format: config.logFormat, secrets: secretsOf(config), destination });
}

function secretsOf(config: AppConfig): (string | null | undefined)[] {
  const encryptionKey = config.usingDevelopmentEncryptionKey ? [] : [config.encryptionKey.toString('hex'), config.encryptionKey.toString('base64')];
  return [
    config.adminToken,
    ...config.clientApiKeys,
    config.providers.openai.apiKey,
    config.providers.anthropic.apiKey,
    config.redis.password,
    passwordIn(config.databaseUrl),
    ...encryptionKey,
  ];
}

function passwordIn(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url).password) || null;
  } catch {
    return null;
  }
}

/**
 * Sorts out a call the way Nest's loggers read it: `(message, ...params, context?)`, where the
 * last string is the context (Nest's `Logger` appends its own) unless it is a stack trace, as in
 * `error(message, stack)`. An Error becomes `err` (as the message, its message is `msg` too), a
 * stack trace string becomes `err.stack`, objects are structured fields (an object message may
 * carry its text as `msg`), an array is the field `values`, and numbers and booleans join the message.
 */
export function toLogEntry(message: unknown, params: readonly unknown[]): LogEntry {
  const rest = [...params];
  const last = rest[rest.length - 1];
  const entry: LogEntry = { fields: {} };
  if (typeof last === 'string' && !STACK_TRACE.test(last)) entry.context = rest.pop() as string;

  const texts: string[] = [];
  absorb(entry, message, texts, true);
  for (const param of rest) absorb(entry, param, texts, false);
  if (texts.length > 0) entry.msg = texts.join(' ');
  return entry;
}

function absorb(entry: LogEntry, part: unknown, texts: string[], isMessage: boolean): void {
  if (part === undefined || part === null) return;
  if (part instanceof Error) {
    entry.err ??= part;
    if (isMessage) texts.push(part.message);
  } else if (typeof part === 'string') {
    if (!STACK_TRACE.test(part)) texts.push(part);
    else {
      entry.err ??= { stack: part };
      if (isMessage) texts.push(part.slice(0, part.indexOf('\n')));
    }
  } else if (Array.isArray(part)) {
    entry.fields.values = part;
  } else if (typeof part === 'object') {
    const { msg, ...fields } = part as Record<string, unknown>;
    if (typeof msg === 'string') texts.push(msg);
    Object.assign(entry.fields, fields);
  } else if (typeof part === 'number' || typeof part === 'boolean' || typeof part === 'bigint') {
    texts.push(String(part));
  }
}

function requestIdOfCurrentRequest(): { request_id?: string } {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { request_id: requestId };
}

let stdout: DestinationStream | undefined;

/**
 * Every logger of the process shares one asynchronous stdout writer (sonic-boom): lines are
 * buffered and written without blocking the event loop, whole, and flushed on exit.
 */
function stdoutDestination(): DestinationStream {
  return (stdout ??= pino.destination({ dest: 1, sync: false }));
}
