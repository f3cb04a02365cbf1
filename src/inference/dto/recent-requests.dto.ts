import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ProviderErrorCode } from '../../providers/provider-error';
import { REQUEST_STATUSES, RequestStatus } from '../inference-request';
import { FailureOrFallback, RECENT_OUTCOMES, RecentOutcome } from '../inference.repository';

export const DEFAULT_RECENT_LIMIT = 20;
export const MAX_RECENT_LIMIT = 100;

export class RecentRequestsQueryDto {
  @ApiPropertyOptional({
    enum: RECENT_OUTCOMES,
    description: '`failed`: requests that failed; `fallback`: requests that completed after a model failed; both when omitted',
  })
  @IsOptional()
  @IsIn(RECENT_OUTCOMES)
  outcome?: RecentOutcome;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_RECENT_LIMIT, default: DEFAULT_RECENT_LIMIT, description: 'How many requests, newest first' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_RECENT_LIMIT)
  limit?: number;
}

class AttemptErrorView {
  @ApiProperty({ enum: Object.values(ProviderErrorCode), example: 'server_error' })
  code: string;

  @ApiProperty({ example: 'upstream overloaded' })
  message: string;

  @ApiProperty({ example: true, description: 'Whether routing moved on to the next candidate' })
  retryable: boolean;

  @ApiProperty({ example: 503, nullable: true, type: Number, description: "The provider's HTTP status, where there was one" })
  status: number | null;
}

export class FailedAttemptView {
  @ApiProperty({ example: 'gpt-4o' })
  model_id: string;

  @ApiProperty({ example: 'openai' })
  provider: string;

  @ApiProperty({ type: AttemptErrorView })
  error: AttemptErrorView;
}

/** One failed request or fallback as `GET /api/models/requests` lists it. */
export class RecentRequestView {
  @ApiProperty({ example: 'a3c1e2f0-5b7d-4c1e-9f0a-2b3c4d5e6f70', description: 'The completion_id (GET /api/models/requests/{id})' })
  request_id: string;

  @ApiProperty({ enum: RECENT_OUTCOMES, description: '`failed`, or `fallback` when another model answered after a failure' })
  outcome: RecentOutcome;

  @ApiProperty({ enum: REQUEST_STATUSES, example: 'failed' })
  status: RequestStatus;

  @ApiProperty({ example: 'code_generation' })
  task_type: string;

  @ApiProperty({ example: 'gpt-4o', nullable: true, type: String, description: 'The model_id the caller named, if any' })
  requested_model_id: string | null;

  @ApiProperty({ example: 'claude-sonnet-4-20250514', nullable: true, type: String, description: 'The model that answered, or the last one tried' })
  model_id: string | null;

  @ApiProperty({ example: 'anthropic', nullable: true, type: String })
  provider: string | null;

  @ApiProperty({ example: 'provider_error', nullable: true, type: String, description: 'The error code of a failed request' })
  error_code: string | null;

  @ApiProperty({ example: 'Provider rejected the request: invalid api key', nullable: true, type: String })
  error_message: string | null;

  @ApiProperty({ type: [FailedAttemptView], description: 'Failed provider calls, in order: the fallback trail' })
  attempts: FailedAttemptView[];

  @ApiProperty({ example: '2026-11-28T10:00:00.000Z' })
  created_at: string;

  @ApiProperty({ example: '2026-11-28T10:00:02.000Z', nullable: true, type: String })
  completed_at: string | null;
}

export class RecentRequestListView {
  @ApiProperty({ type: [RecentRequestView], description: 'Newest first' })
  requests: RecentRequestView[];
}

export function toRecentRequestView(request: FailureOrFallback): RecentRequestView {
  return {
    request_id: request.id,
    outcome: request.status === 'failed' ? 'failed' : 'fallback',
    status: request.status,
    task_type: request.taskType,
    requested_model_id: request.requestedModelId,
    model_id: request.modelId,
    provider: request.provider,
    error_code: request.error?.code ?? null,
    error_message: request.error?.message ?? null,
    attempts: request.attempts.map(({ model_id, provider, error }) => ({
      model_id,
      provider,
      error: { code: error.code, message: error.message, retryable: error.retryable, status: error.status },
    })),
    created_at: request.createdAt.toISOString(),
    completed_at: request.completedAt?.toISOString() ?? null,
  };
}
