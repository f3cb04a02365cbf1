import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { IDENTIFIER } from '../../common/validation/is-score-map';
import type { CircuitState } from '../../circuit-breaker/circuit-breaker';
import { PROVIDER_KINDS, ProviderKind } from '../../providers/provider.types';
import { ModelEntity } from '../model.entity';

export type Availability = { available: true } | { available: false; reason: string };

export class PricingView {
  @ApiProperty({ example: 0.0025, description: 'USD per 1K input tokens' })
  input: number;

  @ApiProperty({ example: 0.01, description: 'USD per 1K output tokens' })
  output: number;

  @ApiPropertyOptional({ example: 0.00125, description: "USD per 1K input tokens read from the provider's prompt cache; absent: billed at the input price" })
  cached_input?: number;

  @ApiPropertyOptional({ example: 0.00375, description: "USD per 1K input tokens written to the provider's prompt cache (Anthropic); absent: billed at the input price" })
  cache_write?: number;
}

export class ModelPropertiesView {
  @ApiProperty({ example: 128000 })
  context_length: number;

  @ApiProperty({ example: 16384 })
  token_limit: number;

  @ApiProperty({ type: PricingView })
  pricing: PricingView;
}

export class CircuitView {
  @ApiProperty({ enum: ['closed', 'open', 'half_open'], example: 'closed', description: 'open: skipped by routing until open_until; half_open: one trial call allowed' })
  state: CircuitState;

  @ApiProperty({ example: 0, description: 'Retryable failures in a row seen by this instance' })
  consecutive_failures: number;

  @ApiPropertyOptional({ example: '2026-01-01T12:00:30.000Z', description: 'While open: when the model gets its trial call' })
  open_until?: string;
}

export class ModelMetadataView {
  @ApiProperty({ example: '2024-08-06', nullable: true, type: String })
  version: string | null;

  @ApiProperty({ example: 'OpenAI GPT-4o', nullable: true, type: String })
  description: string | null;

  @ApiProperty({ example: true, description: 'False when the model cannot be called here (no credentials, endpoint or model file)' })
  available: boolean;

  @ApiPropertyOptional({ example: 'no API key: set OPENAI_API_KEY or register configuration.api_key' })
  unavailable_reason?: string;

  @ApiProperty({ type: CircuitView, description: "The model's circuit breaker on the instance that answers (per instance)" })
  circuit: CircuitView;
}

/** A model as `GET /api/models` lists it and as `model.register` answers. Never carries a secret. */
export class ModelView {
  @ApiProperty({ example: 'gpt-4o' })
  id: string;

  @ApiProperty({ enum: PROVIDER_KINDS, example: 'openai' })
  provider: ProviderKind;

  @ApiProperty({ type: [String], example: ['chat', 'completion', 'code'] })
  capabilities: string[];

  @ApiProperty({ type: ModelPropertiesView })
  properties: ModelPropertiesView;

  @ApiProperty({ type: ModelMetadataView })
  metadata: ModelMetadataView;
}

export class ModelListView {
  @ApiProperty({ type: [ModelView] })
  models: ModelView[];
}

export class ListModelsQueryDto {
  @ApiPropertyOptional({ enum: PROVIDER_KINDS, description: 'Only models of this provider' })
  @IsOptional()
  @IsIn(PROVIDER_KINDS)
  provider?: ProviderKind;

  @ApiPropertyOptional({ example: 'embedding', description: 'Only models with this capability' })
  @IsOptional()
  @Matches(IDENTIFIER, { message: 'capability must be a lower-case identifier (a-z, 0-9, _)' })
  capability?: string;
}

export function toModelView(model: ModelEntity, availability: Availability, circuit: CircuitView): ModelView {
  return {
    id: model.id,
    provider: model.provider,
    capabilities: model.capabilities,
    properties: {
      context_length: model.contextLength,
      token_limit: model.tokenLimit,
      pricing: toPricingView(model),
    },
    metadata: {
      version: model.version,
      description: model.description,
      available: availability.available,
      ...(!availability.available && { unavailable_reason: availability.reason }),
      circuit,
    },
  };
}

/** Cache prices appear only when set, so a model without them keeps the SPEC's two fields. */
function toPricingView(model: ModelEntity): PricingView {
  return {
    input: model.priceInput,
    output: model.priceOutput,
    ...(model.priceCachedInput !== null && { cached_input: model.priceCachedInput }),
    ...(model.priceCacheWrite !== null && { cache_write: model.priceCacheWrite }),
  };
}
