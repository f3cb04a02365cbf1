import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/** `Authorization: Bearer $ADMIN_TOKEN`; with no ADMIN_TOKEN configured the admin endpoints stay closed. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly token: Buffer | null;

  constructor(@InjectConfig() config: AppConfig) {
    this.token = config.adminToken === null ? null : Buffer.from(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.token === null) {
      throw new DomainError(ErrorCode.AdminDisabled, 'Admin endpoints are disabled: set ADMIN_TOKEN to enable them');
    }
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
    if (!match) throw new DomainError(ErrorCode.Unauthorized, 'Missing admin token: send Authorization: Bearer <ADMIN_TOKEN>');
    if (!sameSecret(Buffer.from(match[1].trim()), this.token)) {
      throw new DomainError(ErrorCode.Forbidden, 'Wrong admin token');
    }
    return true;
  }
}

function sameSecret(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
