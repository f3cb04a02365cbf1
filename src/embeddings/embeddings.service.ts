import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Caller, keyNameOf, ownerKeyOf } from '../access/client-key';
import { LimitsService, Reservation, Usage } from '../access/limits/limits.service';
import { assertMayUse, modelAllowed } from '../access/permissions';
import { SpendLedger } from '../access/spend-ledger.repository';
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
/** Tokens a provider may add to each text, beyond its bytes: the sure upper bound a budget reserves. */
const FRAMING_TOKENS = 16;
/** Bytes per token assumed for TPM's estimate, corrected when the request settles. */
const BYTES_PER_TOKEN = 4;

/**
 * Embeddings never fall back to another model: vectors from different models live in different
 * spaces, so a silent switch would corrupt the caller's index. One model, one call, within the
 * key's limits like any request; its spend goes to the ledger (it has no request row) before the
 * answer does.
 */
@Injectable()
export class EmbeddingsService {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly models: ModelsService,
    private readonly providers: ProvidersService,
    private readonly metrics: MetricsService,
    private readonly limits: LimitsService,
    private readonly ledger: SpendLedger,
  ) {}

  /** Within the models and capabilities the caller's key may use. */
  async embed(dto: EmbeddingsRequestDto, signal: AbortSignal, caller: Caller): Promise<EmbeddingsResponseView> {
    assertMayUse(caller, [EMBEDDING], dto.model_id);
    const { model, target } = await this.pick(dto.model_id, caller);
    const admission = await this.limits.admit(caller, reservationFor(dto.texts, model));
    let usage: Usage = { tokens: 0, costUsd: 0 };
    try {
      const view = await this.call(dto, signal, caller, model, target);
      usage = { tokens: view.usage.total_tokens, costUsd: view.usage.estimated_cost };
      return view;
    } finally {
      await admission.settle(usage);
    }
  }

  private async call(dto: EmbeddingsRequestDto, signal: AbortSignal, caller: Caller, model: ModelEntity, target: ProviderTarget): Promise<EmbeddingsResponseView> {
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
    await this.ledger.addEmbeddings(ownerKeyOf(caller), model.id, { requests: 1, promptTokens: tokens, completionTokens: 0, cost });
    this.metrics.embeddingsServed(model, tokens, cost, keyNameOf(caller));
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

/** The most an embeddings request can cost (every byte a token, plus framing) and its TPM estimate. */
function reservationFor(texts: string[], model: ModelEntity): Reservation {
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
  return {
    requestId: randomUUID(),
    tokens: Math.ceil(bytes / BYTES_PER_TOKEN),
    maxCostUsd: ((bytes + FRAMING_TOKENS * texts.length) * model.priceInput) / 1000,
  };
}
