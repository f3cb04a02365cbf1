import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { InjectConfig } from '../../config/config.module';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

/** A client key that is none of CLIENT_API_KEYS (OpenAI's clients know it by the code `invalid_api_key`). */
export class InvalidApiKey extends DomainError {
  static readonly openAiCode = 'invalid_api_key';

  constructor() {
    super(ErrorCode.Unauthorized, 'Incorrect API key provided');
  }
}

/**
 * The client key, as `Authorization: Bearer <key>` (OpenAI's clients) or `x-api-key: <key>`
 * (Anthropic's), against CLIENT_API_KEYS; with none configured the `/v1` routes are open. Keys are
 * compared as SHA-256 digests with a timing-safe compare against every key, so neither a key's
 * length nor which key nearly matched shows in the response time.
 */
@Injectable()
export class ClientApiKeyGuard implements CanActivate {
  private readonly digests: Buffer[];

  constructor(@InjectConfig() config: AppConfig) {
    this.digests = config.clientApiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.digests.length === 0) return true;
    const { headers } = context.switchToHttp().getRequest<Request>();
    const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
    const apiKey = typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : undefined;
    const key = (bearer ?? apiKey)?.trim();
    if (!key) throw new DomainError(ErrorCode.Unauthorized, 'Missing API key: send Authorization: Bearer <key> or x-api-key: <key>');
    const given = digest(key);
    const matches = this.digests.reduce((found, key) => timingSafeEqual(given, key) || found, false);
    if (!matches) throw new InvalidApiKey();
    return true;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
