import { Caller } from '../access/client-key';
import { assertMayUse, modelAllowed } from '../access/permissions';
import { Injectable } from '@nestjs/common';
import { DomainError, ModelCannotServe, ValidationFailed } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { ModelEntity } from '../models/model.entity';
import { ModelsService } from '../models/models.service';
import { estimateCost } from '../providers/cost';
import { failedAttempt, failureOf } from '../providers/provider-failure';
import { EmbeddingResult, ProviderTarget } from '../providers/provider.types';
import { ProvidersService } from '../providers/providers.service';
import { EmbeddingsRequestDto, EmbeddingsResponseView } from './dto/embeddings.dto';
import { shortenEmbedding } from './vector';

const EMBEDDING = 'embedding';

/**
 * Embeddings never fall back to another model: vectors from different models live in different
 * spaces, so a silent switch would corrupt the caller's index. One model, one call.
 */
@Injectable()
export class EmbeddingsService {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly models: ModelsService,
    private readonly providers: ProvidersService,
    private readonly metrics: MetricsService,
  ) {}

  /** Within the models and capabilities the caller's key may use. */
  async embed(dto: EmbeddingsRequestDto, signal: AbortSignal, caller: Caller): Promise<EmbeddingsResponseView> {
    assertMayUse(caller, [EMBEDDING], dto.model_id);
    const { model, target } = await this.pick(dto.model_id, caller);
    const adapter = this.providers.adapter(model.provider);
    const providerShortens = dto.dimensions !== undefined && adapter.supportsDimensions;

    let result: EmbeddingResult;
    try {
      result = await adapter.embed(target, {
        texts: dto.texts,
        dimensions: providerShortens ? dto.dimensions : undefined,
        signal,
        timeoutMs: this.config.providers.timeoutMs,
      });
    } catch (error) {
      const attempt = failedAttempt(model, error);
      this.metrics.embeddingsFailed(attempt);
      throw failureOf([attempt]);
    }

    const embeddings = providerShortens ? result.embeddings : fitDimensions(result.embeddings, dto.dimensions, model.id);
    const tokens = result.usage.promptTokens ?? (await this.providers.countTokens(model, target, dto.texts.join('\n')));
    const cost = estimateCost({ input: model.priceInput, output: 0 }, { prompt: tokens, completion: 0 });
    this.metrics.embeddingsServed(model, tokens, cost);
    return {
      embeddings,
      model: { id: model.id, provider: model.provider },
      usage: { total_tokens: tokens, estimated_cost: cost },
    };
  }

  /** The named model (404 unknown, 422 not an embedding model, 503 unavailable), else the cheapest available one. */
  private async pick(modelId: string | undefined, caller: Caller): Promise<{ model: ModelEntity; target: ProviderTarget }> {
    if (modelId !== undefined) {
      const model = await this.models.get(modelId);
      if (!model.capabilities.includes(EMBEDDING)) throw new ModelCannotServe(model.id, 'it has no embedding capability');
      const resolution = this.providers.resolve(model);
      if (!resolution.available) {
        throw new DomainError(ErrorCode.NoModelAvailable, `Model "${model.id}" is unavailable: ${resolution.reason}`, { model_id: model.id });
      }
      return { model, target: resolution.target };
    }

    const candidates = (await this.models.findWithCapability(EMBEDDING)).filter((model) => modelAllowed(caller, model.id)).sort((a, b) => a.priceInput - b.priceInput || a.id.localeCompare(b.id));
    for (const model of candidates) {
      const resolution = this.providers.resolve(model);
      if (resolution.available) return { model, target: resolution.target };
    }
    throw new DomainError(ErrorCode.NoModelAvailable, 'No embedding model is available: register one or configure provider credentials', {});
  }
}

function fitDimensions(embeddings: number[][], dimensions: number | undefined, modelId: string): number[][] {
  if (dimensions === undefined) return embeddings;
  const native = embeddings[0]?.length ?? 0;
  if (dimensions > native) {
    throw new ValidationFailed({ dimensions: [`must be at most ${native}, the dimensions of ${modelId}`] });
  }
  return embeddings.map((vector) => shortenEmbedding(vector, dimensions));
}
