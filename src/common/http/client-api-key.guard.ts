import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { InvalidApiKey } from './openai-error';

/**
 * `Authorization: Bearer <key>` against CLIENT_API_KEYS; with none configured the `/v1` routes are
 * open. Keys are compared as SHA-256 digests with a timing-safe compare against every key, so
 * neither a key's length nor which key nearly matched shows in the response time.
 */
@Injectable()
export class ClientApiKeyGuard implements CanActivate {
  private readonly digests: Buffer[];

  constructor(@InjectConfig() config: AppConfig) {
    this.digests = config.clientApiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.digests.length === 0) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
    if (!match) throw new DomainError(ErrorCode.Unauthorized, 'Missing API key: send Authorization: Bearer <key>');
    const given = digest(match[1].trim());
    const matches = this.digests.reduce((found, key) => timingSafeEqual(given, key) || found, false);
    if (!matches) throw new InvalidApiKey();
    return true;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
