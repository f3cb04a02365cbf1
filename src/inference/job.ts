import { RequestTimer } from '../metrics/request-timer';
import { DEFAULT_TASK_TYPE } from '../performance/task-types';
import { defaultTemperature } from '../routing/ranking';
import { InferenceRequest } from './inference-request';
import { RunningRequest } from './inference.repository';
import { Job, QueuedRequest } from './inference.types';
import { RequestFacts } from './outcome';
import { messagesWithContext, promptTextOf, promptWithContext } from './prompt';

/** A completion or chat request as the lifecycle runs it, whichever endpoint it came through. */
export function toJob(request: QueuedRequest, timer: RequestTimer): Job {
  const { dto } = request;
  const prompt = request.kind === 'completion' ? promptWithContext(request.dto.prompt, dto.context) : null;
  const messages = request.kind === 'chat' ? messagesWithContext(request.dto.messages, dto.context) : [{ role: 'user' as const, content: prompt! }];
  return {
    kind: request.kind,
    dto,
    taskType: dto.task_type ?? DEFAULT_TASK_TYPE,
    messages,
    prompt,
    promptText: prompt ?? promptTextOf(messages),
    temperature: dto.temperature ?? defaultTemperature(dto.requirements?.creativity, dto.requirements?.reliability),
    timer,
  };
}

/** The row a request starts with. */
export function rowOf(job: Job, requestId: string, createdAt: Date): RunningRequest {
  return { id: requestId, kind: job.kind, taskType: job.taskType, requestedModelId: job.dto.model_id ?? null, metadata: { ...job.dto.metadata }, createdAt };
}

export function factsOf(job: Job, requestId: string): RequestFacts {
  return { requestId, taskType: job.taskType, requestedModelId: job.dto.model_id ?? null, metadata: { ...job.dto.metadata } };
}

/** The same from a stored row, for requests finished by someone other than the code that started them. */
export function factsOfRow(row: Pick<InferenceRequest, 'id' | 'taskType' | 'requestedModelId'> & { metadata?: RequestFacts['metadata'] }): RequestFacts {
  return { requestId: row.id, taskType: row.taskType, requestedModelId: row.requestedModelId, metadata: { ...row.metadata } };
}
