import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { ClientKey, KeyLimits, KeyOwner } from './client-key';

interface ClientKeyRow {
  id: string;
  name: string;
  prefix: string;
  digest: Buffer;
  owner: Partial<KeyOwner>;
  models: string[] | null;
  capabilities: string[] | null;
  limits: KeyLimits;
  cache_ttl_seconds: number | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A key with the digest that proves it. */
export interface StoredKey {
  key: ClientKey;
  digest: Buffer;
}

/** What a key's creation or update sets. */
export interface KeySettings {
  name: string;
  owner: KeyOwner;
  models: string[] | null;
  capabilities: string[] | null;
  limits: KeyLimits;
  cacheTtlSeconds: number | null;
  expiresAt: Date | null;
}

const COLUMNS = 'id, name, prefix, digest, owner, models, capabilities, limits, cache_ttl_seconds, expires_at, revoked_at, created_at, updated_at';

/** Most keys listed in one answer. */
export const MAX_LISTED_KEYS = 1000;

@Injectable()
export class ClientKeysRepository {
  constructor(private readonly sql: Sql) {}

  async findByPrefix(prefix: string): Promise<StoredKey | null> {
    const [row] = await this.sql.query<ClientKeyRow>(`SELECT ${COLUMNS} FROM client_keys WHERE prefix = $1`, [prefix]);
    return row ? stored(row) : null;
  }

  async findById(id: string): Promise<ClientKey | null> {
    const [row] = await this.sql.query<ClientKeyRow>(`SELECT ${COLUMNS} FROM client_keys WHERE id = $1`, [id]);
    return row ? stored(row).key : null;
  }

  async list(): Promise<ClientKey[]> {
    const rows = await this.sql.query<ClientKeyRow>(`SELECT ${COLUMNS} FROM client_keys ORDER BY created_at, id LIMIT ${MAX_LISTED_KEYS}`);
    return rows.map((row) => stored(row).key);
  }

  /** Null when a key with this id exists already. */
  async insert(id: string, prefix: string, digest: Buffer, settings: KeySettings): Promise<ClientKey | null> {
    const [row] = await this.sql.query<ClientKeyRow>(
      `INSERT INTO client_keys (id, name, prefix, digest, owner, models, capabilities, limits, expires_at, cache_ttl_seconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      [id, settings.name, prefix, digest, settings.owner, settings.models, settings.capabilities, settings.limits, settings.expiresAt, settings.cacheTtlSeconds],
    );
    return row ? stored(row).key : null;
  }

  /** Null when there is no such key. */
  async update(id: string, settings: KeySettings): Promise<ClientKey | null> {
    const [row] = await this.sql.query<ClientKeyRow>(
      `UPDATE client_keys SET name = $2, owner = $3, models = $4, capabilities = $5, limits = $6, expires_at = $7, cache_ttl_seconds = $8,
              updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, settings.name, settings.owner, settings.models, settings.capabilities, settings.limits, settings.expiresAt, settings.cacheTtlSeconds],
    );
    return row ? stored(row).key : null;
  }

  /** Revokes a key (again: the first time stays); returns it with its former prefix, or null when there is no such key. */
  async revoke(id: string): Promise<ClientKey | null> {
    const [row] = await this.sql.query<ClientKeyRow>(
      `UPDATE client_keys SET revoked_at = coalesce(revoked_at, now()), updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return row ? stored(row).key : null;
  }

  /**
   * Gives a live key a new secret; the old prefix stops matching at once. `expectedPrefix`: only
   * while the key still has it (one rotation, however many instances run the command). Null when
   * there is no such live key.
   */
  async replaceSecret(id: string, prefix: string, digest: Buffer, expectedPrefix: string | null): Promise<{ key: ClientKey; oldPrefix: string } | null> {
    const [row] = await this.sql.query<ClientKeyRow & { old_prefix: string }>(
      `UPDATE client_keys k SET prefix = $2, digest = $3, updated_at = now()
       FROM (SELECT id, prefix AS old_prefix FROM client_keys WHERE id = $1 FOR UPDATE) old
       WHERE k.id = old.id AND k.revoked_at IS NULL AND ($4::text IS NULL OR old.old_prefix = $4)
       RETURNING ${COLUMNS.split(', ').map((c) => `k.${c}`).join(', ')}, old.old_prefix`,
      [id, prefix, digest, expectedPrefix],
    );
    return row ? { key: stored(row).key, oldPrefix: row.old_prefix } : null;
  }
}

function stored(row: ClientKeyRow): StoredKey {
  return {
    digest: row.digest,
    key: {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      owner: { team: row.owner.team ?? null, project: row.owner.project ?? null, user: row.owner.user ?? null },
      models: row.models,
      capabilities: row.capabilities,
      limits: row.limits,
      cacheTtlSeconds: row.cache_ttl_seconds,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    },
  };
}
