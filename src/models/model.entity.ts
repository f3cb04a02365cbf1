import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ModelPrices } from '../providers/cost';
import type { ModelEndpoint, ProviderKind } from '../providers/provider.types';

/** Where a registry row came from; the boot-time catalogue only refreshes rows it still owns. */
export const MODEL_SOURCES = ['catalogue', 'registered', 'discovered'] as const;
export type ModelSource = (typeof MODEL_SOURCES)[number];

export interface PerformanceBaseline {
  quality_score?: number;
  task_specific?: Record<string, number>;
}

/** Non-secret provider settings; the API key is sealed in its own column. */
export interface ProviderSettings {
  api_url?: string;
  options?: Record<string, unknown>;
}

const doublePrecision = { type: 'double precision' as const };

@Entity({ name: 'models' })
export class ModelEntity implements ModelEndpoint {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  provider: ProviderKind;

  @Column({ type: 'text', array: true })
  capabilities: string[];

  @Column({ name: 'context_length', type: 'integer' })
  contextLength: number;

  @Column({ name: 'token_limit', type: 'integer' })
  tokenLimit: number;

  /** USD per 1K input tokens. */
  @Column({ name: 'price_input', ...doublePrecision })
  priceInput: number;

  /** USD per 1K output tokens. */
  @Column({ name: 'price_output', ...doublePrecision })
  priceOutput: number;

  /** USD per 1K input tokens read from the provider's prompt cache; null bills them at the input price. */
  @Column({ name: 'price_cached_input', ...doublePrecision, nullable: true })
  priceCachedInput: number | null;

  /** USD per 1K input tokens written to the provider's prompt cache (Anthropic); null bills them at the input price. */
  @Column({ name: 'price_cache_write', ...doublePrecision, nullable: true })
  priceCacheWrite: number | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  version: string | null;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'performance_baseline', type: 'jsonb', default: () => `'{}'::jsonb` })
  performanceBaseline: PerformanceBaseline;

  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  settings: ProviderSettings;

  /** AES-256-GCM sealed API key (see SecretBox); never returned by any endpoint. */
  @Column({ name: 'api_key_sealed', type: 'text', nullable: true })
  apiKeySealed: string | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ type: 'varchar', length: 16 })
  source: ModelSource;

  /** When the catalogue entry's prices were taken from the vendor's price list. */
  @Column({ name: 'prices_as_of', type: 'date', nullable: true })
  pricesAsOf: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A model's prices in the shape `estimateCost` takes. */
export function modelPrices(model: ModelEntity): ModelPrices {
  return { input: model.priceInput, output: model.priceOutput, cachedInput: model.priceCachedInput, cacheWrite: model.priceCacheWrite };
}
