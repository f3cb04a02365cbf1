import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import { SecretBox } from '../common/crypto/secret-box';
import { isUniqueViolation } from '../database/pg-errors';
import { ModelNotFound } from '../common/errors/domain-error';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ProvidersService } from '../providers/providers.service';
import { ChangeFeed } from '../redis/change-feed';
import { RedisService } from '../redis/redis.module';
import { CircuitBreaker } from '../circuit-breaker/circuit-breaker';
import { discoverLocalModels } from './catalogue/local-model-discovery';
import { loadCatalogue } from './catalogue/catalogue';
import { ListModelsQueryDto, ModelView, toModelView } from './dto/model.dto';
import { RegisterModelDto } from './dto/register-model.dto';
import { ModelEntity, ModelSource } from './model.entity';
import { ModelsRepository } from './models.repository';

/** Defaults for a model registered without `properties`. */
const DEFAULT_CONTEXT_LENGTH = 4096;
const DEFAULT_TOKEN_LIMIT = 4096;

/**
 * The model registry. Routing reads it on every request, so each instance keeps every model in
 * memory (in the database's order) and reloads them when an instance announces a change through
 * Redis; a model id not in memory yet (registered on another instance a moment ago) is looked up
 * in the database. `GET /api/models` always reads the database.
 */
@Injectable()
export class ModelsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ModelsService.name);
  private readonly changes: ChangeFeed;
  private registry: ModelEntity[] = [];

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly repository: ModelsRepository,
    private readonly secrets: SecretBox,
    private readonly providers: ProvidersService,
    private readonly breaker: CircuitBreaker,
    redis: RedisService,
  ) {
    this.changes = redis.changeFeed('models');
  }

  /** Refreshes the built-in catalogue, then registers every GGUF file found in MODELS_DIR. */
  async onApplicationBootstrap(): Promise<void> {
    const catalogue = loadCatalogue().map(({ registration, pricesAsOf }) => {
      const model = applyRegistration(new ModelEntity(), registration, 'catalogue');
      model.pricesAsOf = pricesAsOf;
      return model;
    });
    await this.repository.upsertFromSource('catalogue', catalogue);

    // The file behind the catalogue's local model (the shipped demo model by default) is served once, under that id.
    const { modelsDir, modelPath } = this.config.providers.local;
    const discovered = await discoverLocalModels(modelsDir, { except: modelPath === null ? [] : [resolve(modelPath)] });
    await this.repository.upsertFromSource(
      'discovered',
      discovered.map((registration) => applyRegistration(new ModelEntity(), registration, 'discovered')),
    );
    if (discovered.length > 0) this.logger.log(`Found ${discovered.length} local model file(s) in ${this.config.providers.local.modelsDir}`);

    if (!(await this.changes.follow(() => void this.reload()))) {
      this.logger.warn('Models registered on other instances are picked up when first requested until Redis is reachable');
    }
    await this.reload();
    // Another instance may run an older catalogue (a rolling deploy): it reloads what this one refreshed.
    this.changes.announce(this.registry.map((m) => m.id));
  }

  onApplicationShutdown(): void {
    this.changes.close();
  }

  async list(query: ListModelsQueryDto): Promise<ModelView[]> {
    const models = await this.repository.findEnabled({
      provider: query.provider,
      capabilities: query.capability === undefined ? undefined : [query.capability],
    });
    return models.map((model) => this.view(model));
  }

  /** A registered, enabled model, or ModelNotFound. */
  async get(id: string): Promise<ModelEntity> {
    const model = await this.find(id);
    if (!model.enabled) throw new ModelNotFound(id);
    return model;
  }

  /** A registered model, enabled or not (history outlives a model being switched off). */
  async find(id: string): Promise<ModelEntity> {
    const model = this.registry.find((m) => m.id === id) ?? (await this.repository.findById(id));
    if (!model) throw new ModelNotFound(id);
    return model;
  }

  findEnabled(): Promise<ModelEntity[]> {
    return Promise.resolve(this.registry.filter((m) => m.enabled));
  }

  findWithCapability(capability: string): Promise<ModelEntity[]> {
    return this.findWithAnyCapability([capability]);
  }

  findWithAnyCapability(capabilities: string[]): Promise<ModelEntity[]> {
    return Promise.resolve(this.registry.filter((m) => m.enabled && m.capabilities.some((c) => capabilities.includes(c))));
  }

  /**
   * Creates or updates a model (idempotent). On update, omitted sections keep their stored
   * values, so re-registering without `configuration.api_key` never drops a stored key.
   */
  async register(dto: RegisterModelDto): Promise<ModelView> {
    // Two first registrations of one id at once: the one whose insert loses is applied again as an update.
    const { saved, existed } = await this.save(dto).catch((error: unknown) => {
      if (isUniqueViolation(error)) return this.save(dto);
      throw error;
    });
    this.logger.log(`${existed ? 'Updated' : 'Registered'} model ${saved.id} (${saved.provider})`);
    await this.reload();
    this.changes.announce([saved.id]);
    return this.view(saved);
  }

  private async save(dto: RegisterModelDto): Promise<{ saved: ModelEntity; existed: boolean }> {
    const existing = await this.repository.findById(dto.model_id);
    const model = applyRegistration(existing ?? new ModelEntity(), dto, 'registered');
    if (dto.configuration?.api_key !== undefined) model.apiKeySealed = this.secrets.seal(dto.configuration.api_key);
    return { saved: await this.repository.save(model), existed: existing !== null };
  }

  /** Every model, enabled or not, in the order listings use. */
  private async reload(): Promise<void> {
    try {
      this.registry = await this.repository.findAll();
      await this.providers.trackModelFiles(this.registry);
    } catch (error) {
      this.logger.warn(`Could not reload the model registry: ${String(error)}`);
    }
  }

  private view(model: ModelEntity): ModelView {
    return toModelView(model, this.providers.resolve(model), this.breaker.view(model.id));
  }
}

/** Applies a registration to a new or stored model; the caller seals the API key and dates catalogue prices. */
function applyRegistration(model: ModelEntity, dto: RegisterModelDto, source: ModelSource): ModelEntity {
  const isNew = model.id === undefined;
  const { properties, metadata, configuration, performance_baseline } = dto;

  model.id = dto.model_id;
  model.provider = dto.provider;
  model.capabilities = dto.capabilities;
  model.source = source;
  model.contextLength = properties?.context_length ?? model.contextLength ?? DEFAULT_CONTEXT_LENGTH;
  model.tokenLimit = properties?.token_limit ?? model.tokenLimit ?? Math.min(DEFAULT_TOKEN_LIMIT, model.contextLength);
  model.priceInput = properties?.pricing?.input ?? model.priceInput ?? 0;
  model.priceOutput = properties?.pricing?.output ?? model.priceOutput ?? 0;
  // Unlike the other fields, an explicit null is kept: it unsets a cache price.
  model.priceCachedInput = properties?.pricing?.cached_input !== undefined ? properties.pricing.cached_input : (model.priceCachedInput ?? null);
  model.priceCacheWrite = properties?.pricing?.cache_write !== undefined ? properties.pricing.cache_write : (model.priceCacheWrite ?? null);
  model.version = metadata?.version ?? model.version ?? null;
  model.description = metadata?.description ?? model.description ?? null;
  model.performanceBaseline = { ...model.performanceBaseline, ...performance_baseline };
  model.settings = {
    ...model.settings,
    ...(configuration?.api_url !== undefined && { api_url: configuration.api_url }),
    ...(configuration?.options !== undefined && { options: configuration.options }),
  };
  model.pricesAsOf = null;
  if (isNew) {
    model.apiKeySealed = null;
    model.enabled = true;
  }
  return model;
}
