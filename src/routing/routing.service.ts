import { Injectable } from '@nestjs/common';
import { DomainError, ModelCannotServe, ValidationFailed } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ModelEntity } from '../models/model.entity';
import { ModelsService } from '../models/models.service';
import { PerformanceService } from '../performance/performance.service';
import { meanScores, ModelScores } from '../performance/scoring';
import { PromptTokens } from '../providers/prompt-tokens';
import { ProviderTarget } from '../providers/provider.types';
import { ProvidersService } from '../providers/providers.service';
import { CircuitBreaker } from '../circuit-breaker/circuit-breaker';
import { KindSummary, PromptKindsService } from './prompt-kinds.service';
import { RandomSource } from './random-source';
import {
  Candidate,
  capabilityProblem,
  costProblem,
  expectedCost,
  expectedTokens,
  paramProblem,
  rank,
  RankingPolicy,
  Rejection,
  RoutingNeeds,
} from './ranking';

export interface RoutingRequest {
  modelId?: string;
  /** False: a named model is the only candidate. */
  fallback: boolean;
  taskType: string;
  needs: RoutingNeeds;
  /** The prompt as the model will read it, counted exactly only when the bound is near a context limit. */
  promptText: string;
}

export interface PlannedCandidate extends Candidate {
  target: ProviderTarget;
  /** The posterior means: the scores a response reports. */
  scores: ModelScores;
}

/** How `preview` ranks: the candidates a chat request of one task type would get, and why the others are left out. */
export interface RoutingPreview {
  taskType: string;
  policy: RankingPolicy;
  expectedTokens: { prompt: number; completion: number };
  candidates: PlannedCandidate[];
  rejected: Rejection[];
}

/** A kind learned from prompts, with the model routing selects for it now. */
export interface LearnedKind extends KindSummary {
  selectedModelId: string | null;
}

/** Per message, chat formats add a few tokens of framing. */
const FRAMING_TOKENS = 16;

/** A chat request with no requirements and an empty prompt: what `preview` ranks models for. */
const PREVIEW_NEEDS: RoutingNeeds = {
  anyOf: ['chat'],
  allOf: [],
  promptTokensAtMost: 0,
  maxTokens: undefined,
  minQuality: undefined,
  reliability: undefined,
};

/** A request being planned: its prompt's token counts are shared by every candidate. */
interface Planning extends RoutingRequest {
  promptTokens: PromptTokens;
}

/** A live request draws its first choice with the configured exploration and may take a half-open circuit's trial; a preview does neither. */
interface RankingMode {
  exploration: number;
  claimTrials: boolean;
}

/**
 * The single place where candidates are chosen and ordered: a named model first (404 unknown,
 * 422 cannot serve), then, unless fallback is off, every other model that can serve the request
 * (capabilities, availability, min_quality_score against the posterior mean, budget, context fit,
 * circuit not open), ranked by utility with Thompson-sampling exploration (see `rank`).
 */
@Injectable()
export class RoutingService {
  private readonly exploration: number;
  private readonly costWeight: number;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly models: ModelsService,
    private readonly providers: ProvidersService,
    private readonly performance: PerformanceService,
    private readonly breaker: CircuitBreaker,
    private readonly random: RandomSource,
    private readonly kinds: PromptKindsService,
  ) {
    this.exploration = config.routing.exploration;
    this.costWeight = config.routing.costWeight;
  }

  async plan(routingRequest: RoutingRequest): Promise<PlannedCandidate[]> {
    const request = this.planning(routingRequest);
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

  /**
   * The candidates a chat request of this task type with no requirements would get, in the order
   * fallbacks use (expected utility, no exploration), with the models left out and why. Read-only:
   * the same filters and ranking as `plan`, but a half-open circuit's trial call is not handed out.
   */
  async preview(taskType: string): Promise<RoutingPreview> {
    const request = this.planning({ fallback: true, taskType, needs: PREVIEW_NEEDS, promptText: '' });
    const mode: RankingMode = { exploration: 0, claimTrials: false };
    const { candidates, rejected } = await this.rankedCandidates(request, undefined, mode);
    return { taskType, policy: this.policyFor(request.needs, mode), expectedTokens: expectedTokens(request.needs), candidates, rejected };
  }

  /** The kinds learned from requests without a task type, each with its current winner (as `preview` ranks). */
  async learnedKinds(): Promise<LearnedKind[]> {
    const kinds: LearnedKind[] = [];
    for (const kind of this.kinds.list()) kinds.push({ ...kind, selectedModelId: (await this.preview(kind.name)).candidates[0]?.model.id ?? null });
    return kinds;
  }

  /**
   * What became of a call to a model, for its circuit: `null` when the provider answered, else the
   * error. Retryable errors count towards opening the circuit; any answer, even a refusal, closes it.
   */
  recordCallOutcome(modelId: string, error: { retryable: boolean } | null): void {
    if (error?.retryable) this.breaker.failed(modelId);
    else this.breaker.succeeded(modelId);
  }

  /**
   * The named model: it must be able to serve the request (else 422); when it is unavailable or
   * its circuit is open, it is a rejection and the fallbacks (if allowed) serve instead.
   */
  private async namedCandidate(modelId: string, request: Planning): Promise<PlannedCandidate | Rejection> {
    const model = await this.models.get(modelId);
    const problem = capabilityProblem(model, request.needs);
    if (problem) throw new ModelCannotServe(model.id, problem);
    const param = paramProblem(model, request.needs);
    if (param?.badRequest) throw new ValidationFailed({ [param.param]: [param.reason] });
    if (param) throw new ModelCannotServe(model.id, param.reason, param.param);
    const resolution = this.providers.resolve(model);
    if (!resolution.available) return { model_id: model.id, reason: resolution.reason };
    const overflow = await this.contextOverflow(model, resolution.target, request);
    if (overflow) throw new ModelCannotServe(model.id, overflow);
    const admission = this.breaker.admit(model.id);
    if (!admission.admitted) return { model_id: model.id, reason: admission.reason };
    return this.candidate(model, resolution.target, request);
  }

  private async rankedCandidates(
    request: Planning,
    excludeId: string | undefined,
    mode: RankingMode = { exploration: this.exploration, claimTrials: true },
  ): Promise<{ candidates: PlannedCandidate[]; rejected: Rejection[] }> {
    const rejected: Rejection[] = [];
    const eligible: PlannedCandidate[] = [];
    const models = await this.models.findWithAnyCapability(request.needs.anyOf);

    for (const model of models) {
      if (model.id === excludeId) continue;
      const outcome = await this.filter(model, request, mode.claimTrials);
      if (typeof outcome === 'string') rejected.push({ model_id: model.id, reason: outcome });
      else eligible.push(outcome);
    }
    return { candidates: rank(eligible, this.policyFor(request.needs, mode), () => this.random.next()), rejected };
  }

  private policyFor(needs: RoutingNeeds, mode: RankingMode): RankingPolicy {
    return { reliability: needs.reliability, costWeight: this.costWeight, exploration: mode.exploration };
  }

  /** Why a model is not a candidate, or the candidate. The circuit is asked last: a half-open one hands out its trial (unless only peeked at). */
  private async filter(model: ModelEntity, request: Planning, claimTrial: boolean): Promise<string | PlannedCandidate> {
    const problem = capabilityProblem(model, request.needs) ?? paramProblem(model, request.needs)?.reason ?? costProblem(model, request.needs);
    if (problem) return problem;
    const resolution = this.providers.resolve(model);
    if (!resolution.available) return `unavailable: ${resolution.reason}`;
    const candidate = this.candidate(model, resolution.target, request);
    const { minQuality } = request.needs;
    if (minQuality !== undefined && candidate.scores.quality < minQuality) {
      return `quality score ${candidate.scores.quality} for ${request.taskType} is below min_quality_score ${minQuality}`;
    }
    const overflow = await this.contextOverflow(model, resolution.target, request);
    if (overflow) return overflow;
    const admission = claimTrial ? this.breaker.admit(model.id) : this.breaker.peek(model.id);
    return admission.admitted ? candidate : admission.reason;
  }

  private candidate(model: ModelEntity, target: ProviderTarget, request: RoutingRequest): PlannedCandidate {
    const posterior = this.performance.posteriorFor(model, request.taskType);
    return { model, target, posterior, scores: meanScores(posterior), expectedCost: expectedCost(model, request.needs) };
  }

  private planning(request: RoutingRequest): Planning {
    return { ...request, promptTokens: new PromptTokens(this.providers, request.promptText) };
  }

  /**
   * Null when prompt + max_tokens fit the model's context; a UTF-8 byte count bounds tokens from
   * above, so most prompts need no tokenizer, and the rest are counted once per tokenizer.
   */
  private async contextOverflow(model: ModelEntity, target: ProviderTarget, request: Planning): Promise<string | null> {
    const output = request.needs.maxTokens ?? 0;
    if (request.needs.promptTokensAtMost + FRAMING_TOKENS + output <= model.contextLength) return null;
    const promptTokens = (await request.promptTokens.count(model, target)) + FRAMING_TOKENS;
    if (promptTokens + output <= model.contextLength) return null;
    return `prompt (${promptTokens} tokens) + max_tokens (${output}) exceeds its context length ${model.contextLength}`;
  }
}

function describeNeeds(needs: RoutingNeeds): string {
  const parts = [`one of ${needs.anyOf.join('/')}`];
  if (needs.allOf.length > 0) parts.push(`capabilities ${needs.allOf.join(', ')}`);
  if (needs.minQuality !== undefined) parts.push(`min_quality_score ${needs.minQuality}`);
  if (needs.maxCostPer1k !== undefined) parts.push(`max_cost_per_1k ${needs.maxCostPer1k}`);
  const params = Object.keys(needs.params ?? {}).filter((param) => param !== 'forwarded_to');
  if (params.length > 0) parts.push(`honouring ${params.map((param) => (param === 'remote_image' ? 'an http(s) image URL' : param)).join(', ')}`);
  return parts.join('; ');
}
