/** Who a key belongs to: free labels, used for spend reports and as the user behind its feedback. */
export interface KeyOwner {
  team: string | null;
  project: string | null;
  user: string | null;
}

/** Spend limits in US dollars per UTC day, per UTC month and over the key's life. */
export interface BudgetLimits {
  daily?: number;
  monthly?: number;
  total?: number;
}

/** Limits enforced across every instance (docs/keys.md). Each one left out is no limit. */
export interface KeyLimits {
  /** Requests per minute, over a sliding minute. */
  rpm?: number;
  /** Tokens per minute: prompt estimate plus `max_tokens` reserved before the call, settled with the real count after. */
  tpm?: number;
  /** Requests running at once. */
  concurrency?: number;
  budget_usd?: BudgetLimits;
}

/** A client key as the service knows it; the secret itself is never stored, only its SHA-256 digest. */
export interface ClientKey {
  id: string;
  name: string;
  /** The public part of the key (`mos_<prefix>_...`), by which it is looked up. */
  prefix: string;
  owner: KeyOwner;
  /** Model ids (a trailing `*` matches a prefix) the key may use; null: any. */
  models: string[] | null;
  /** Capabilities the key may use (`chat`, `completion`, `embedding`, `function_calling`, `vision`...); null: any. */
  capabilities: string[] | null;
  limits: KeyLimits;
  /** How long answers of the key's requests are cached when a request does not say (docs/api.md 'Response cache'); null: not cached. */
  cacheTtlSeconds: number | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Who is calling, as the client guard established it: anyone (CLIENT_AUTH=off), the operator
 * (the admin token) or a client key (one of Postgres's, or of the CLIENT_API_KEYS bootstrap list).
 */
export type Caller = { kind: 'open' } | { kind: 'admin' } | { kind: 'key'; key: ClientKey };

export const OPEN_CALLER: Caller = { kind: 'open' };

/** The key a new request belongs to (stored with it); null for open and admin callers. */
export function ownerKeyOf(caller: Caller): string | null {
  return caller.kind === 'key' ? caller.key.id : null;
}

/** The caller's key name, for per-key metrics; null for open and admin callers. */
export function keyNameOf(caller: Caller): string | null {
  return caller.kind === 'key' ? caller.key.name : null;
}

/**
 * Whether the caller may read, cancel or rate a request that belongs to `ownerKey`: its own key,
 * or the operator. Callers get the same 404 for foreign ids as for unknown ones.
 */
export function mayAccess(caller: Caller, ownerKey: string | null): boolean {
  return caller.kind !== 'key' || caller.key.id === ownerKey;
}

/** The user behind feedback: a key's owner (or the key itself), whatever the body says; otherwise the body's `user_id`. */
export function feedbackUserOf(caller: Caller, bodyUserId: string | undefined): string | undefined {
  if (caller.kind !== 'key') return bodyUserId;
  return caller.key.owner.user !== null ? `user:${caller.key.owner.user}` : `key:${caller.key.id}`;
}
