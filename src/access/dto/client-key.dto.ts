import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDateString, IsInt, IsNumber, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { shownPrefix } from '../key-secret';
import { IsNestedDto } from '../../common/validation/is-nested-dto';
import { CACHE_TTL_CEILING_SECONDS } from '../../config/app-config';
import { ClientKey, KeyLimits, KeyOwner } from '../client-key';

const MAX_MODELS = 100;
const MAX_CAPABILITIES = 20;
const label = (description: string) => ApiPropertyOptional({ maxLength: 128, description, nullable: true });

export class KeyOwnerDto {
  @label('Team label (spend reports group by it)')
  @IsOptional()
  @IsString()
  @Length(1, 128)
  team?: string;

  @label('Project label')
  @IsOptional()
  @IsString()
  @Length(1, 128)
  project?: string;

  @label("User label: feedback sent with the key counts as this user's")
  @IsOptional()
  @IsString()
  @Length(1, 128)
  user?: string;
}

export class BudgetLimitsDto {
  @ApiPropertyOptional({ example: 5, description: 'USD per UTC day' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(10_000_000)
  daily?: number;

  @ApiPropertyOptional({ example: 100, description: 'USD per UTC month' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(10_000_000)
  monthly?: number;

  @ApiPropertyOptional({ example: 1000, description: "USD over the key's life" })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(10_000_000)
  total?: number;
}

export class KeyLimitsDto {
  @ApiPropertyOptional({ example: 60, description: 'Requests per sliding minute, across every instance' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  rpm?: number;

  @ApiPropertyOptional({ example: 100_000, description: 'Tokens per minute (reserved before the call, settled after)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  tpm?: number;

  @ApiPropertyOptional({ example: 10, description: 'Requests running at once' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  concurrency?: number;

  @ApiPropertyOptional({ type: BudgetLimitsDto })
  @IsOptional()
  @IsNestedDto(() => BudgetLimitsDto)
  budget_usd?: BudgetLimitsDto;
}

/** `POST /api/admin/keys`; the same fields, each optional, for `PATCH` (a field given replaces the stored one; `null` clears it). */
export class ClientKeySettingsDto {
  @ApiProperty({ example: 'search-team-prod', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name: string;

  @ApiPropertyOptional({ type: KeyOwnerDto })
  @IsOptional()
  @IsNestedDto(() => KeyOwnerDto)
  owner?: KeyOwnerDto | null;

  @ApiPropertyOptional({ example: ['gpt-4o-mini', 'claude-*'], description: 'Model ids the key may use (`name*` matches a prefix); absent or null: any', nullable: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_MODELS)
  @IsString({ each: true })
  @Length(1, 140, { each: true })
  models?: string[] | null;

  @ApiPropertyOptional({ example: ['chat', 'embedding'], description: 'Capabilities the key may use; absent or null: any', nullable: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_CAPABILITIES)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  capabilities?: string[] | null;

  @ApiPropertyOptional({ type: KeyLimitsDto })
  @IsOptional()
  @IsNestedDto(() => KeyLimitsDto)
  limits?: KeyLimitsDto | null;

  @ApiPropertyOptional({ example: '2027-06-30T00:00:00Z', description: 'After this instant the key answers 401', nullable: true })
  @IsOptional()
  @IsDateString({ strict: true })
  expires_at?: string | null;

  @ApiPropertyOptional({
    example: 3600,
    minimum: 1,
    nullable: true,
    description:
      "Cache the answers of the key's requests this many seconds when a request does not say (cut to CACHE_MAX_TTL_SECONDS); " +
      'a request opts out with cache.ttl_seconds 0 or X-Cache-TTL: 0. Absent or null: only requests that ask are cached',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(CACHE_TTL_CEILING_SECONDS)
  cache_ttl_seconds?: number | null;
}

export class UpdateClientKeyDto extends ClientKeySettingsDto {
  @ApiPropertyOptional({ example: 'search-team-prod', maxLength: 128 })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  declare name: string;
}

export class ClientKeyPathDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

export class ClientKeyView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ example: 'mos_Ab3dEf6hIj9k', description: 'The public start of the key, to recognise it; the secret is never shown again' })
  prefix: string;

  @ApiProperty({ type: KeyOwnerDto })
  owner: KeyOwner;

  @ApiProperty({ type: [String], nullable: true })
  models: string[] | null;

  @ApiProperty({ type: [String], nullable: true })
  capabilities: string[] | null;

  @ApiProperty({ type: KeyLimitsDto })
  limits: KeyLimits;

  @ApiProperty({ nullable: true, type: Number, description: "Seconds the answers of the key's requests are cached by default; null: not cached unless asked" })
  cache_ttl_seconds: number | null;

  @ApiProperty({ nullable: true, type: String })
  expires_at: string | null;

  @ApiProperty({ nullable: true, type: String })
  revoked_at: string | null;

  @ApiProperty()
  created_at: string;

  @ApiProperty()
  updated_at: string;
}

export class NewClientKeyView extends ClientKeyView {
  @ApiProperty({ description: 'The whole key, shown this once: send it as `Authorization: Bearer <key>` or `x-api-key`' })
  key: string;
}

export class ClientKeyListView {
  @ApiProperty({ type: [ClientKeyView] })
  keys: ClientKeyView[];
}

export function toClientKeyView(key: ClientKey): ClientKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: shownPrefix(key.prefix),
    owner: key.owner,
    models: key.models,
    capabilities: key.capabilities,
    limits: key.limits,
    cache_ttl_seconds: key.cacheTtlSeconds,
    expires_at: key.expiresAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    created_at: key.createdAt.toISOString(),
    updated_at: key.updatedAt.toISOString(),
  };
}

/** `model.key.create`: the id is the caller's, so every instance that receives the command creates the same key. */
export class CreateClientKeyCommandDto extends ClientKeySettingsDto {
  @ApiProperty({ format: 'uuid', description: 'The new key id, chosen by the caller (a random UUID)' })
  @IsUUID()
  id: string;
}

/** `model.key.update`: the key and the fields to change, as in `PATCH /api/admin/keys/{id}`. */
export class UpdateClientKeyCommandDto extends UpdateClientKeyDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

/** `model.key.rotate`: the key and the prefix it has now, so the command rotates it once whatever the number of instances. */
export class RotateClientKeyCommandDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;

  @ApiProperty({ example: 'mos_Ab3dEf6hIj9k', description: 'The prefix the key has now (`GET /api/admin/keys/{id}`)' })
  @IsString()
  @Length(1, 32)
  prefix: string;
}
