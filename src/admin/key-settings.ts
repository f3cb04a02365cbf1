import { ClientKey, KeyOwner } from '../access/client-key';
import { KeySettings } from '../access/client-keys.repository';
import { ClientKeySettingsDto } from '../access/dto/client-key.dto';

/** A body's settings over `current` (nothing, for a new key): a field left out keeps its value, `null` clears it. */
export function settingsOf(dto: Partial<ClientKeySettingsDto>, current?: ClientKey): KeySettings {
  const pick = <T>(given: T | null | undefined, kept: T | null): T | null => (given === undefined ? kept : given);
  const owner = pick<Partial<KeyOwner>>(dto.owner, current?.owner ?? null);
  return {
    name: dto.name ?? current!.name,
    owner: { team: owner?.team ?? null, project: owner?.project ?? null, user: owner?.user ?? null },
    models: pick(dto.models, current?.models ?? null),
    capabilities: pick(dto.capabilities, current?.capabilities ?? null),
    limits: { ...pick(dto.limits, current?.limits ?? null) },
    cacheTtlSeconds: pick(dto.cache_ttl_seconds, current?.cacheTtlSeconds ?? null),
    expiresAt: dto.expires_at === undefined ? (current?.expiresAt ?? null) : dto.expires_at === null ? null : new Date(dto.expires_at),
  };
}
