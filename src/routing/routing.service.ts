import { Injectable } from '@nestjs/common';
import { DomainError, ModelCannotServe } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { ModelEntity } from '../models/model.entity';
import { ModelsService } from '../models/models.service';
import { PerformanceService } from '../performance/performance.service';
import { ProviderTarget } from '../providers/provider.types';
import { ProvidersService } from '../providers/providers.service';
import { capabilityProblem, ModelScores, rank, Rejection, RoutingNeeds } from './ranking';

export interface RoutingRequest {
  modelId?: string;
  /** False: a named model is the only candidate. */
  fallback: boolean;
  taskType: string;
  needs: RoutingNeeds;
  /** The prompt as the model will read it, counted exactly only when the bound is near a context limit. */
  promptText: string;
}

export interface PlannedCandidate {
  model: ModelEntity;
  target: ProviderTarget;
  scores: ModelScores;
}

/** Per message, chat formats add a few tokens of framing. */
const FRAMING_TOKENS = 16;

/**
 * The single place where candidates are chosen and ordered: a named model first (404 unknown,
 * 422 cannot serve), then, unless fallback is off, every other model that can serve the request,
 * best expected utility first.
 */
@Injectable()
export class RoutingService {
  constructor(
    private readonly models: ModelsService,
    private readonly providers: ProvidersService,
    private readonly performance: PerformanceService,
  ) {}

  async plan(request: RoutingRequest): Promise<PlannedCandidate[]> {
    const named = request.modelId === undefined ? null : await this.namedCandidate(request.modelId, request);
    const others =
      request.modelId !== undefined && !request.fallback
        ? { candidates: [], rejected: [] }
        : await this.rankedCandidates(request, request.modelId);

    const candidates = [...(named && 'target' in named ? [named] : []), ...others.candidates];
    if (candidates.length > 0) return candidates;

    const rejected = [...(named && 'reason' in named ? [named] : []), ...others.rejected];
    const message =
      request.modelId === undefined
        ? `No available model can serve this request (needs ${describeNeeds(request.needs)})`
        : `Model "${request.modelId}" is unavailable and no fallback can serve this request`;
    throw new DomainError(ErrorCode.NoModelAvailable, message, { rejected });
  }

  private async namedCandidate(modelId: string, request: RoutingRequest): Promise<PlannedCandidate | Rejection> {
    const model = await this.models.get(modelId);
    const problem = capabilityProblem(model, request.needs);
    if (problem) throw new ModelCannotServe(model.id, problem);
    const resolution = this.providers.resolve(model);
    if (!resolution.available) return { model_id: model.id, reason: resolution.reason };
    const overflow = await this.contextOverflow(model, resolution.target, request);
    if (overflow) throw new ModelCannotServe(model.id, overflow);
    return { model, target: resolution.target, scores: this.performance.scoresFor(model, request.taskType) };
  }

  private async rankedCandidates(
    request: RoutingRequest,
    excludeId: string | undefined,
  ): Promise<{ candidates: PlannedCandidate[]; rejected: Rejection[] }> {
    const rejected: Rejection[] = [];
    const eligible: PlannedCandidate[] = [];
    const models = await this.models.findWithAnyCapability(request.needs.anyOf);

    for (const model of models) {
      if (model.id === excludeId) continue;
      const reason = await this.rejection(model, request);
      if (typeof reason === 'string') rejected.push({ model_id: model.id, reason });
      else eligible.push({ model, ...reason });
    }
    return { candidates: rank(eligible, request.needs.reliability), rejected };
  }

  /** Why a model is not a candidate, or its target and scores when it is. */
  private async rejection(model: ModelEntity, request: RoutingRequest): Promise<string | { target: ProviderTarget; scores: ModelScores }> {
    const problem = capabilityProblem(model, request.needs);
    if (problem) return problem;
    const resolution = this.providers.resolve(model);
    if (!resolution.available) return `unavailable: ${resolution.reason}`;
    const scores = this.performance.scoresFor(model, request.taskType);
    const { minQuality } = request.needs;
    if (minQuality !== undefined && scores.quality < minQuality) {
      return `quality score ${scores.quality} for ${request.taskType} is below min_quality_score ${minQuality}`;
    }
    const overflow = await this.contextOverflow(model, resolution.target, request);
    if (overflow) return overflow;
    return { target: resolution.target, scores };
  }

  /** Null when prompt + max_tokens fit the model's context; a UTF-8 byte count bounds tokens from above, so most prompts need no tokenizer. */
  private async contextOverflow(model: ModelEntity, target: ProviderTarget, request: RoutingRequest): Promise<string | null> {
    const output = request.needs.maxTokens ?? 0;
    if (request.needs.promptTokensAtMost + FRAMING_TOKENS + output <= model.contextLength) return null;
    const promptTokens = (await this.providers.countTokens(model, target, request.promptText)) + FRAMING_TOKENS;
    if (promptTokens + output <= model.contextLength) return null;
    return `prompt (${promptTokens} tokens) + max_tokens (${output}) exceeds its context length ${model.contextLength}`;
  }
}

function describeNeeds(needs: RoutingNeeds): string {
  const parts = [`one of ${needs.anyOf.join('/')}`];
  if (needs.allOf.length > 0) parts.push(`capabilities ${needs.allOf.join(', ')}`);
  if (needs.minQuality !== undefined) parts.push(`min_quality_score ${needs.minQuality}`);
  return parts.join('; ');
}
