import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { Caller, ClientKey, OPEN_CALLER } from './client-key';
import { ClientKeysService } from './client-keys.service';
import { InvalidApiKey } from './invalid-api-key';
import { digestOf, prefixOf, sameDigest } from './key-secret';

type WithCaller = Request & { caller?: Caller };

/** The caller the guard established for this request (open when no guard ran). */
export const CallerOf = createParamDecorator((_: unknown, context: ExecutionContext): Caller => {
  return context.switchToHttp().getRequest<WithCaller>().caller ?? OPEN_CALLER;
});

/**
 * Who may call `/api/models/*` and `/v1/*` (CLIENT_AUTH, docs/keys.md). With `off` anyone may;
 * with `keys` every request carries a credential, as `Authorization: Bearer <key>` (OpenAI's
 * clients) or `x-api-key: <key>` (Anthropic's): a key of Postgres's, one of CLIENT_API_KEYS (the
 * bootstrap list), or the admin token (the operator, who may see every request). Static secrets are
 * compared as SHA-256 digests against every one, so response times say nothing about a near miss.
 */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  private readonly bootstrapKeys: { digest: Buffer; key: ClientKey }[];
  private readonly adminDigest: Buffer | null;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly keys: ClientKeysService,
  ) {
    this.bootstrapKeys = config.clientApiKeys.map((secret, index) => ({ digest: digestOf(secret), key: bootstrapKey(secret, index) }));
    this.adminDigest = config.adminToken === null ? null : digestOf(config.adminToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WithCaller>();
    request.caller = this.config.clientAuth === 'off' ? OPEN_CALLER : await this.identify(request);
    return true;
  }

  private async identify(request: Request): Promise<Caller> {
    const secret = credentialOf(request);
    if (!secret) throw new DomainError(ErrorCode.Unauthorized, 'Missing API key: send Authorization: Bearer <key> or x-api-key: <key>');
    if (prefixOf(secret) !== null) return { kind: 'key', key: await this.keys.authenticate(secret) };
    const given = digestOf(secret);
    const admin = this.adminDigest !== null && sameDigest(given, this.adminDigest);
    const bootstrap = this.bootstrapKeys.reduce<ClientKey | null>((match, entry) => (sameDigest(given, entry.digest) ? entry.key : match), null);
    if (admin) return { kind: 'admin' };
    if (bootstrap) return { kind: 'key', key: bootstrap };
    throw new InvalidApiKey();
  }
}

function credentialOf(request: Request): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const apiKey = typeof request.headers['x-api-key'] === 'string' ? request.headers['x-api-key'] : undefined;
  return (bearer ?? apiKey)?.trim() || undefined;
}

/**
 * A CLIENT_API_KEYS entry as a key without limits or owner. Its id, which its requests are stored
 * under, is derived from a digest of the secret: stable across restarts and instances, and no secret.
 */
function bootstrapKey(secret: string, index: number): ClientKey {
  const id = `static-${createHash('sha256').update(`mos-bootstrap:${secret}`).digest('hex').slice(0, 16)}`;
  const epoch = new Date(0);
  return {
    id,
    name: `CLIENT_API_KEYS[${index}]`,
    prefix: id,
    owner: { team: null, project: null, user: null },
    models: null,
    capabilities: null,
    limits: {},
    cacheTtlSeconds: null,
    expiresAt: null,
    revokedAt: null,
    createdAt: epoch,
    updatedAt: epoch,
  };
}
