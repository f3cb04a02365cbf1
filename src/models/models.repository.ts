import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Sql } from '../database/sql';
import { ProviderKind } from '../providers/provider.types';
import { ModelEntity, ModelSource } from './model.entity';

export interface ModelFilter {
  provider?: ProviderKind;
  /** Models having at least one of these. */
  capabilities?: string[];
}

/** The registry: plain CRUD through TypeORM's repository, the one bulk upsert in SQL. */
@Injectable()
export class ModelsRepository {
  constructor(
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    private readonly sql: Sql,
  ) {}

  findEnabled(filter: ModelFilter): Promise<ModelEntity[]> {
    const query = this.models.createQueryBuilder('m').where('m.enabled').orderBy('m.provider').addOrderBy('m.id');
    if (filter.provider) query.andWhere('m.provider = :provider', { provider: filter.provider });
    if (filter.capabilities) query.andWhere('m.capabilities && :capabilities', { capabilities: filter.capabilities });
    return query.getMany();
  }

  /** Every model, enabled or not, ordered like `findEnabled`. */
  findAll(): Promise<ModelEntity[]> {
    return this.models.find({ order: { provider: 'ASC', id: 'ASC' } });
  }

  findById(id: string): Promise<ModelEntity | null> {
    return this.models.findOneBy({ id });
  }

  save(model: ModelEntity): Promise<ModelEntity> {
    return this.models.save(model);
  }

  /**
   * Inserts entries from a boot-time source (the catalogue, or GGUF files found in MODELS_DIR)
   * and refreshes the rows that source still owns; a row an operator registered is left alone.
   */
  async upsertFromSource(source: Exclude<ModelSource, 'registered'>, entries: ModelEntity[]): Promise<void> {
    const rows = entries.map((m) => ({
      id: m.id,
      provider: m.provider,
      capabilities: m.capabilities,
      context_length: m.contextLength,
      token_limit: m.tokenLimit,
      price_input: m.priceInput,
      price_output: m.priceOutput,
      price_cached_input: m.priceCachedInput,
      price_cache_write: m.priceCacheWrite,
      version: m.version,
      description: m.description,
      settings: m.settings,
      performance_baseline: m.performanceBaseline,
      prices_as_of: m.pricesAsOf,
    }));
    await this.sql.query(
      `INSERT INTO models (id, provider, capabilities, context_length, token_limit, price_input, price_output,
                           price_cached_input, price_cache_write, version, description, settings, performance_baseline,
                           prices_as_of, source)
       SELECT r.id, r.provider, ARRAY(SELECT jsonb_array_elements_text(r.capabilities)), r.context_length, r.token_limit,
              r.price_input, r.price_output, r.price_cached_input, r.price_cache_write, r.version, r.description,
              r.settings, r.performance_baseline, r.prices_as_of, $2
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, provider text, capabilities jsonb, context_length int,
              token_limit int, price_input float8, price_output float8, price_cached_input float8, price_cache_write float8,
              version text, description text, settings jsonb, performance_baseline jsonb, prices_as_of date)
       ON CONFLICT (id) DO UPDATE SET
         provider = EXCLUDED.provider, capabilities = EXCLUDED.capabilities, context_length = EXCLUDED.context_length,
         token_limit = EXCLUDED.token_limit, price_input = EXCLUDED.price_input, price_output = EXCLUDED.price_output,
         price_cached_input = EXCLUDED.price_cached_input, price_cache_write = EXCLUDED.price_cache_write,
         version = EXCLUDED.version, description = EXCLUDED.description, settings = EXCLUDED.settings,
         performance_baseline = EXCLUDED.performance_baseline, prices_as_of = EXCLUDED.prices_as_of, updated_at = now()
       WHERE models.source = $2`,
      [JSON.stringify(rows), source],
    );
  }
}
