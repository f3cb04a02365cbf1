import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { ChangeFeed } from '../redis/change-feed';
import { RedisService } from '../redis/redis.module';
import { Caller, ClientKey, OPEN_CALLER } from './client-key';
import { ClientKeysRepository, KeySettings, StoredKey } from './client-keys.repository';
import { InvalidApiKey } from './invalid-api-key';
import { digestOf, newKeySecret, prefixOf, sameDigest, shownPrefix, storedPrefix } from './key-secret';

/** A copy is trusted this long even without a change notice (a notice lost while Redis was away). */
const CACHE_TTL_MS = 30_000;
/** Prefixes remembered per instance, unknown ones included (so guessing costs no query each); beyond it the copy starts over. */
const MAX_CACHED = 10_000;

interface Cached {
  stored: StoredKey | null;
  at: number;
}

/**
 * Client keys in Postgres (docs/keys.md). Every request authenticates, so each instance keeps the
 * keys it has seen in memory; a change on any instance is announced through Redis and every
 * instance forgets that key at once (a revoked key stops working everywhere within a notice's
 * flight), with a 30 s bound for a notice that was lost.
 */
@Injectable()
export class ClientKeysService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ClientKeysService.name);
  private readonly changes: ChangeFeed;
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly repository: ClientKeysRepository,
    private readonly clock: Clock,
    redis: RedisService,
  ) {
    this.changes = redis.changeFeed('client-keys');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.changes.follow((prefixes) => this.forget(prefixes)))) {
      this.logger.warn(`Client keys changed on other instances are picked up within ${CACHE_TTL_MS / 1000} s while Redis is unreachable`);
    }
  }

  onApplicationShutdown(): void {
    this.changes.close();
  }

  /** The live key a secret proves; 401 for anything else (unknown, wrong, revoked, expired). */
  async authenticate(secret: string): Promise<ClientKey> {
    const prefix = prefixOf(secret);
    const stored = prefix === null ? null : await this.lookup(prefix);
    if (!stored || !sameDigest(digestOf(secret), stored.digest)) throw new InvalidApiKey();
    if (stored.key.revokedAt !== null) throw new InvalidApiKey('This API key has been revoked');
    if (stored.key.expiresAt !== null && stored.key.expiresAt.getTime() <= this.clock.now().getTime()) throw new InvalidApiKey('This API key has expired');
    return stored.key;
  }

  /**
   * The caller a stored request belongs to, for work done later on its behalf (a queued request):
   * 401 when its key has been revoked or has expired since. Bootstrap keys have no limits to apply.
   */
  async callerFor(clientKey: string | null): Promise<Caller> {
    if (clientKey === null || clientKey.startsWith('static-')) return OPEN_CALLER;
    const key = await this.repository.findById(clientKey);
    if (!key || key.revokedAt !== null) throw new InvalidApiKey('The API key this request was sent with has been revoked');
    if (key.expiresAt !== null && key.expiresAt.getTime() <= this.clock.now().getTime()) throw new InvalidApiKey('The API key this request was sent with has expired');
    return { kind: 'key', key };
  }

  /** A new key and its secret, which is shown this once. */
  async create(settings: KeySettings): Promise<{ key: ClientKey; secret: string }> {
    const created = await this.createWithId(randomUUID(), settings);
    if (!created) throw new Error('A random key id was taken');
    return created;
  }

  /** Like `create`, with an id the caller chose; null when a key with that id exists. */
  async createWithId(id: string, settings: KeySettings): Promise<{ key: ClientKey; secret: string } | null> {
    const secret = newKeySecret();
    const key = await this.repository.insert(id, secret.prefix, secret.digest, settings);
    if (!key) return null;
    this.logger.log(`Client key ${key.name} (${key.id}) created`);
    this.changed([key.prefix]);
    return { key, secret: secret.key };
  }

  list(): Promise<ClientKey[]> {
    return this.repository.list();
  }

  async get(id: string): Promise<ClientKey> {
    return found(id, await this.repository.findById(id));
  }

  async update(id: string, settings: KeySettings): Promise<ClientKey> {
    const key = found(id, await this.repository.update(id, settings));
    this.changed([key.prefix]);
    return key;
  }

  async revoke(id: string): Promise<ClientKey> {
    const key = found(id, await this.repository.revoke(id));
    this.logger.log(`Client key ${key.name} (${key.id}) revoked`);
    this.changed([key.prefix]);
    return key;
  }

  /** A new secret for a live key (`expectedPrefix`, as shown: only if it still has that prefix); the old one stops working at once. */
  async rotate(id: string, expectedPrefix: string | null = null): Promise<{ key: ClientKey; secret: string }> {
    const secret = newKeySecret();
    const rotated = await this.repository.replaceSecret(id, secret.prefix, secret.digest, expectedPrefix === null ? null : storedPrefix(expectedPrefix));
    if (!rotated) {
      const key = await this.get(id);
      if (key.revokedAt !== null) throw new DomainError(ErrorCode.Conflict, `Client key "${key.id}" is revoked: create a new one`, { id });
      throw new DomainError(ErrorCode.Conflict, `Client key "${key.id}" no longer has prefix "${expectedPrefix}": it was rotated already`, { id, prefix: shownPrefix(key.prefix) });
    }
    this.logger.log(`Client key ${rotated.key.name} (${rotated.key.id}) rotated`);
    this.changed([rotated.oldPrefix, rotated.key.prefix]);
    return { key: rotated.key, secret: secret.key };
  }

  private async lookup(prefix: string): Promise<StoredKey | null> {
    const now = this.clock.monotonicMs();
    const cached = this.cache.get(prefix);
    if (cached && now - cached.at < CACHE_TTL_MS) return cached.stored;
    const stored = await this.repository.findByPrefix(prefix);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(prefix, { stored, at: now });
    return stored;
  }

  private changed(prefixes: string[]): void {
    this.forget(prefixes);
    this.changes.announce(prefixes);
  }

  private forget(prefixes: string[]): void {
    for (const prefix of prefixes) this.cache.delete(prefix);
  }
}

function found(id: string, key: ClientKey | null): ClientKey {
  if (!key) throw new DomainError(ErrorCode.NotFound, `Unknown client key "${id}"`, { id });
  return key;
}
