import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import { DomainError, ValidationFailed } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { assertSafeJson } from '../validation/json-safety';

const JSON_MEDIA_TYPE = 'application/json';

/**
 * Request bodies are JSON in UTF-8 (RFC 8259), plain or gzip/deflate/br-compressed, at most `limit`
 * bytes once decompressed. Every parsed body then passes the JSON safety rules (depth, size,
 * characters, reserved keys: `common/validation/json-safety.ts`) before any guard, pipe or
 * class-transformer sees it, whatever the route. A failure here reaches the error filter, which
 * answers the body parser's own errors through `fromBodyParserError`.
 */
export function useJsonBodies(app: NestExpressApplication, limit: string): void {
  app.useBodyParser('json', { limit, verify: assertUtf8 });
  app.use(refuseUnusableBody);
}

/**
 * The body parser would otherwise decode UTF-7 or UTF-16 as declared, and invalid UTF-8 bytes
 * as U+FFFD, silently changing the text a model is asked about. It passes what this throws on
 * to the error filter (adding a 403 status and a type, which the filter ignores for a DomainError).
 */
function assertUtf8(_request: IncomingMessage, _response: unknown, body: Buffer, charset: string): void {
  if (charset !== 'utf-8') throw unsupportedCharset(charset);
  if (!isUtf8(body)) throw new ValidationFailed({ body: ['must be valid UTF-8'] });
}

function refuseUnusableBody(request: Request, _response: Response, next: NextFunction): void {
  if (hasContent(request) && !request.is(JSON_MEDIA_TYPE)) {
    next(unsupportedMediaType('Content-Type', `must be ${JSON_MEDIA_TYPE}`));
    return;
  }
  try {
    assertSafeJson(request.body);
    next();
  } catch (error) {
    next(error);
  }
}

/** Clients send an empty POST with `Content-Length: 0` and no type; that is no body, not a non-JSON one. */
function hasContent(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

/**
 * Express's body parser fails with an http-errors error carrying a `type`
 * (node_modules/body-parser/lib/read.js, raw-body), or, for corrupt gzip/deflate/br data, the
 * zlib error itself with a 4xx status added. Null for anything else.
 */
export function fromBodyParserError(exception: unknown): DomainError | null {
  if (!isExposedClientError(exception)) return null;
  const { type, limit, charset, errno } = exception as { type?: unknown; limit?: number; charset?: string; errno?: unknown };
  switch (type) {
    case 'entity.too.large':
      return new DomainError(ErrorCode.PayloadTooLarge, 'Request body is too large', {
        fields: { body: [`must be at most ${limit} bytes`] },
        limit_bytes: limit,
      });
    case 'encoding.unsupported':
      return unsupportedMediaType('Content-Encoding', 'must be gzip, deflate, br or identity');
    case 'charset.unsupported':
      return unsupportedCharset(charset);
    case 'request.aborted':
      return new ValidationFailed({ body: ['ended before Content-Length bytes arrived'] });
    case 'request.size.invalid':
      return new ValidationFailed({ body: ['does not have the length given in Content-Length'] });
  }
  if (type === undefined && errno !== undefined) {
    return new ValidationFailed({ body: [`could not be decompressed as its Content-Encoding says (${exception.message})`] });
  }
  return new ValidationFailed({ body: [exception.message] });
}

/** http-errors marks an error it made or wrapped as `expose`: its message was meant for the client. */
function isExposedClientError(exception: unknown): exception is Error {
  if (!(exception instanceof Error)) return false;
  const { status, expose } = exception as { status?: unknown; expose?: unknown };
  return expose === true && typeof status === 'number' && status >= 400 && status < 500;
}

function unsupportedCharset(charset: string | undefined): DomainError {
  return unsupportedMediaType('Content-Type', `charset "${charset}" is not supported: JSON bodies are UTF-8`);
}

function unsupportedMediaType(header: string, message: string): DomainError {
  return new DomainError(ErrorCode.UnsupportedMediaType, `Unsupported ${header}: ${message}`, { fields: { [header]: [message] } });
}
