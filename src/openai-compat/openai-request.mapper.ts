import { ValidationFailed } from '../common/errors/domain-error';
import { IDENTIFIER } from '../common/validation/is-score-map';
import { EmbeddingsRequestDto } from '../embeddings/dto/embeddings.dto';
import { ChatRequestDto, CompletionRequestDto, RequestMetadataDto, RequirementsDto } from '../inference/dto/inference-request.dto';
import { SamplingFieldsDto } from '../inference/dto/sampling-fields.dto';
import { AUTO_MODEL } from '../models/aliases/alias-table';
import { OpenAiChatRequestDto, OpenAiCompletionRequestDto, OpenAiEmbeddingsRequestDto } from './dto/openai-request.dto';
import { textList } from './dto/openai-validators';
import { definedOnly } from '../common/defined-only';

/** Headers an unmodified OpenAI client can add to steer the router. */
export const ROUTING_HEADERS = {
  taskType: 'X-Task-Type',
  minQuality: 'X-Min-Quality',
  reliability: 'X-Reliability',
  creativity: 'X-Creativity',
  fallback: 'X-Fallback',
} as const;

export interface RoutingHints {
  taskType?: string;
  minQuality?: number;
  reliability?: number;
  creativity?: number;
  fallback?: boolean;
  /** `X-Cache-TTL` (read by `CacheTtlPipe`): the request's `cache.ttl_seconds`. */
  cacheTtlSeconds?: number;
}

type Headers = Record<string, string | string[] | undefined>;

/** Reads the routing headers (case-insensitive, as Node lowercases them); a malformed one is a 400 naming it. */
export function parseRoutingHeaders(headers: Headers): RoutingHints {
  const fields: Record<string, string[]> = {};
  const read = (name: string): string | undefined => {
    const value = headers[name.toLowerCase()];
    return (Array.isArray(value) ? value[0] : value)?.trim();
  };
  const score = (name: string): number | undefined => {
    const value = read(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (value === '' || !Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
      fields[name] = [`${name} must be a number from 0 to 1`];
      return undefined;
    }
    return parsed;
  };

  const taskType = read(ROUTING_HEADERS.taskType);
  if (taskType !== undefined && !IDENTIFIER.test(taskType)) {
    fields[ROUTING_HEADERS.taskType] = [`${ROUTING_HEADERS.taskType} must be a lower-case identifier (a-z, 0-9, _)`];
  }
  const fallback = read(ROUTING_HEADERS.fallback)?.toLowerCase();
  if (fallback !== undefined && fallback !== 'true' && fallback !== 'false') {
    fields[ROUTING_HEADERS.fallback] = [`${ROUTING_HEADERS.fallback} must be true or false`];
  }
  const hints: RoutingHints = {
    taskType,
    minQuality: score(ROUTING_HEADERS.minQuality),
    reliability: score(ROUTING_HEADERS.reliability),
    creativity: score(ROUTING_HEADERS.creativity),
    fallback: fallback === undefined ? undefined : fallback === 'true',
  };
  if (Object.keys(fields).length > 0) throw new ValidationFailed(fields);
  return hints;
}

/** `auto` and `auto:<task_type>` leave the choice to the router; anything else names a model. */
export function parseModel(model: string): { modelId?: string; taskType?: string } {
  if (model === AUTO_MODEL) return {};
  if (!model.startsWith(`${AUTO_MODEL}:`)) return { modelId: model };
  const taskType = model.slice(AUTO_MODEL.length + 1);
  if (!IDENTIFIER.test(taskType)) {
    throw new ValidationFailed({ model: ['the task type in "auto:<task_type>" must be a lower-case identifier (a-z, 0-9, _)'] });
  }
  return { taskType };
}

/** `model` is the body's, after alias resolution (`ModelAliasesService.resolve`); the mappers stay pure. */
export function toChatRequest(body: OpenAiChatRequestDto, hints: RoutingHints, model: string): ChatRequestDto {
  return {
    ...routingFields(model, hints),
    ...samplingFields(body),
    ...definedOnly({
      max_tokens: body.max_completion_tokens ?? body.max_tokens,
      temperature: body.temperature,
      metadata: metadataOf(body.user, body.metadata),
      tools: body.tools,
      tool_choice: body.tool_choice ?? undefined,
      n: body.n ?? undefined,
      response_format: body.response_format ?? undefined,
    }),
    messages: body.messages.map((message) => ({ ...message, role: message.role === 'developer' ? 'system' : message.role })),
  };
}

export function toCompletionRequest(body: OpenAiCompletionRequestDto, hints: RoutingHints, model: string): CompletionRequestDto {
  return {
    ...routingFields(model, hints),
    ...samplingFields(body),
    ...definedOnly({ max_tokens: body.max_tokens, temperature: body.temperature, metadata: metadataOf(body.user) }),
    prompt: textList(body.prompt)[0],
  };
}

/** Embeddings have no task type and never fall back: only the model is taken from `model`. */
export function toEmbeddingsRequest(body: OpenAiEmbeddingsRequestDto, model: string): EmbeddingsRequestDto {
  return definedOnly({ texts: textList(body.input), model_id: parseModel(model).modelId, dimensions: body.dimensions });
}

/** model_id, task_type, requirements, fallback and cache from the `model` field and the routing headers. */
export function routingFields(model: string, hints: RoutingHints): Pick<ChatRequestDto, 'model_id' | 'task_type' | 'requirements' | 'fallback' | 'cache'> {
  const { modelId, taskType } = parseModel(model);
  if (taskType !== undefined && hints.taskType !== undefined && taskType !== hints.taskType) {
    throw new ValidationFailed({
      model: [`"${model}" and ${ROUTING_HEADERS.taskType}: ${hints.taskType} name different task types`],
    });
  }
  const requirements: RequirementsDto = definedOnly({
    min_quality_score: hints.minQuality,
    reliability: hints.reliability,
    creativity: hints.creativity,
  });
  return definedOnly({
    model_id: modelId,
    task_type: taskType ?? hints.taskType,
    requirements: Object.keys(requirements).length > 0 ? requirements : undefined,
    fallback: hints.fallback,
    cache: hints.cacheTtlSeconds === undefined ? undefined : { ttl_seconds: hints.cacheTtlSeconds },
  });
}

const SAMPLING_FIELDS = [
  'stop',
  'top_p',
  'top_k',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'user',
  'reasoning_effort',
  'service_tier',
  'parallel_tool_calls',
] as const satisfies readonly (keyof SamplingFieldsDto)[];

/** The same fields as on `/api/models/*`; OpenAI clients send `null` for "unset", which is left out like an absent field. */
function samplingFields(body: SamplingFieldsDto): SamplingFieldsDto {
  return Object.fromEntries(SAMPLING_FIELDS.flatMap((field) => (body[field] == null ? [] : [[field, body[field]]])));
}

function metadataOf(user: string | undefined, metadata: { project_id?: string; task_id?: string } = {}): RequestMetadataDto | undefined {
  const recorded = definedOnly({ user_id: user, project_id: metadata.project_id, task_id: metadata.task_id });
  return Object.keys(recorded).length > 0 ? recorded : undefined;
}
