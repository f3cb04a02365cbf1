import { Caller, ownerKeyOf } from '../access/client-key';
import { RequestTimer } from '../metrics/request-timer';
import { SamplingParams } from '../providers/provider.types';
import { DEFAULT_TASK_TYPE } from '../performance/task-types';
import { defaultTemperature } from '../routing/ranking';
import { CompletionRequestDto } from './dto/inference-request.dto';
import { SamplingFieldsDto } from './dto/sampling-fields.dto';
import { InferenceRequest } from './inference-request';
import { RunningRequest } from './inference.repository';
import { Job, QueuedRequest } from './inference.types';
import { RequestFacts } from './outcome';
import { messagesWithContext, promptTextOf, promptWithContext } from './prompt';
import { answerCheckFor } from './answer-check';
import { firstRemoteImage, hasImages, toChatMessages, toResponseFormat, toToolChoice, toTools } from './chat-input';
import { definedOnly } from '../common/defined-only';

/** A completion or chat request as the lifecycle runs it, whichever endpoint it came through. */
export function toJob(request: QueuedRequest, timer: RequestTimer): Job {
  const { dto } = request;
  const prompt = request.kind === 'completion' ? promptWithContext(request.dto.prompt, dto.context) : null;
  const given = request.kind === 'chat' ? toChatMessages(request.dto.messages) : [];
  const messages = request.kind === 'chat' ? messagesWithContext(given, dto.context) : [{ role: 'user' as const, content: prompt! }];
  const tools = request.kind === 'chat' ? toTools(request.dto.tools) : undefined;
  const responseFormat = toResponseFormat(dto.response_format);
  const choices = request.kind === 'chat' ? (request.dto.n ?? 1) : 1;
  const native = request.kind === 'chat' ? request.native : undefined;
  return {
    kind: request.kind,
    dto,
    taskType: dto.task_type ?? DEFAULT_TASK_TYPE,
    inferredTask: null,
    messages,
    prompt,
    promptText: prompt ?? promptTextOf(messages),
    temperature: dto.temperature ?? defaultTemperature(dto.requirements?.creativity, dto.requirements?.reliability),
    sampling: samplingOf(dto),
    tools,
    toolChoice: request.kind === 'chat' ? toToolChoice(request.dto.tool_choice, tools) : undefined,
    responseFormat,
    answerCheck: answerCheckFor(responseFormat),
    capabilities: [...(tools ? ['function_calling'] : []), ...(hasImages(messages) ? ['vision'] : [])],
    answerParams: definedOnly({
      temperature: dto.temperature,
      top_p: dto.top_p,
      stop: stopList(dto.stop),
      remote_image: firstRemoteImage(given) ?? undefined,
      n: choices > 1 ? choices : undefined,
      forwarded_to: native?.protocol,
    }),
    choices,
    native,
    timer,
  };
}

function samplingOf(dto: SamplingFieldsDto): SamplingParams {
  return definedOnly({
    stop: stopList(dto.stop),
    topP: dto.top_p,
    topK: dto.top_k,
    seed: dto.seed,
    presencePenalty: dto.presence_penalty,
    frequencyPenalty: dto.frequency_penalty,
    logitBias: dto.logit_bias,
    user: dto.user,
    reasoningEffort: dto.reasoning_effort,
    serviceTier: dto.service_tier,
    parallelToolCalls: dto.parallel_tool_calls,
  });
}

function stopList(stop: string | string[] | undefined): string[] | undefined {
  return typeof stop === 'string' ? [stop] : stop;
}

/**
 * What a request without task type is read as, to learn its kind: what the user asked (the last
 * user message, or the prompt), not the system prompt or context items an application sends with
 * every request.
 */
export function kindTextOf(job: Job): string {
  if (job.kind === 'completion') return (job.dto as CompletionRequestDto).prompt;
  return [...job.messages].reverse().find((m) => m.role === 'user')?.content ?? job.promptText;
}

/** The row a request starts with, owned by the caller's key. */
export function rowOf(job: Job, requestId: string, createdAt: Date, caller: Caller): RunningRequest {
  return {
    id: requestId,
    kind: job.kind,
    taskType: job.taskType,
    inferredTask: job.inferredTask,
    requestedModelId: job.dto.model_id ?? null,
    metadata: { ...job.dto.metadata },
    createdAt,
    clientKey: ownerKeyOf(caller),
  };
}

export function factsOf(job: Job, requestId: string): RequestFacts {
  return { requestId, taskType: job.taskType, inferredTask: job.inferredTask, requestedModelId: job.dto.model_id ?? null, metadata: { ...job.dto.metadata } };
}

/** The same from a stored row, for requests finished by someone other than the code that started them. */
export function factsOfRow(
  row: Pick<InferenceRequest, 'id' | 'taskType' | 'requestedModelId'> & { inferredTask?: string | null; metadata?: RequestFacts['metadata'] },
): RequestFacts {
  return { requestId: row.id, taskType: row.taskType, inferredTask: row.inferredTask ?? null, requestedModelId: row.requestedModelId, metadata: { ...row.metadata } };
}
