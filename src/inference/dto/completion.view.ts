import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FailedAttempt } from '../../providers/provider-failure';
import { FinishReason } from '../../providers/provider.types';

class ModelRefView {
  @ApiProperty({ example: 'gpt-4o-mini' })
  id: string;

  @ApiProperty({ example: 'openai' })
  provider: string;
}

class UsageView {
  @ApiProperty({ example: 12 })
  prompt_tokens: number;

  @ApiProperty({ example: 48 })
  completion_tokens: number;

  @ApiProperty({ example: 60 })
  total_tokens: number;

  @ApiPropertyOptional({ example: 1024, description: "Prompt tokens read from the provider's prompt cache (included in prompt_tokens); absent when the provider reported none" })
  cached_tokens?: number;

  @ApiPropertyOptional({ example: 0, description: "Prompt tokens written to the provider's prompt cache (Anthropic; included in prompt_tokens)" })
  cache_write_tokens?: number;

  @ApiProperty({ example: 0.0000306, description: 'USD from the model registered prices per 1K tokens (cached and cache-write tokens at their own prices where registered)' })
  estimated_cost: number;
}

class PerformanceView {
  @ApiProperty({ example: 0.82, description: "The chosen model's quality score for the task type before this request" })
  quality_score: number;

  @ApiProperty({ example: 0.97, description: "The chosen model's success rate for the task type before this request" })
  success_rate: number;

  @ApiProperty({ example: 0.91, nullable: true, type: Number, description: 'Mean token probability where the provider returns log-probabilities' })
  confidence: number | null;
}

class ResponseMetadataView {
  @ApiProperty({ enum: ['stop', 'length', 'content_filter', 'tool_calls', 'cancelled'], example: 'stop' })
  finish_reason: FinishReason;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { id: 'chatcmpl-123' } })
  model_specific: Record<string, unknown>;

  @ApiProperty({ example: 'code_generation' })
  task_type: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object' },
    description: 'Provider calls that failed before this answer (fallback trail); absent when the first call answered',
  })
  failed_attempts?: FailedAttempt[];
}

class FunctionCallView {
  @ApiProperty({ example: 'get_weather' })
  name: string;

  @ApiProperty({ example: '{"city":"Paris"}', description: 'JSON text, as the model wrote it' })
  arguments: string;
}

export class ToolCallView {
  @ApiProperty({ example: 'call_abc123', description: 'Send it back as tool_call_id of the tool message with the result' })
  id: string;

  @ApiProperty({ enum: ['function'] })
  type: 'function';

  @ApiProperty({ type: FunctionCallView })
  function: FunctionCallView;
}

export class AlternativeView {
  @ApiProperty({ example: 'Another answer.' })
  content: string;

  @ApiPropertyOptional({ type: [ToolCallView] })
  tool_calls?: ToolCallView[];

  @ApiProperty({ enum: ['stop', 'length', 'content_filter', 'tool_calls', 'cancelled'], example: 'stop' })
  finish_reason: FinishReason;
}

class RoutingView {
  @ApiProperty({
    example: 'kind-07',
    description:
      'The kind of request learned from the prompt of a request without task_type: the model was chosen, and the outcome and feedback count, for this kind ' +
      '(GET /api/models/routing/kinds lists the kinds with their hints)',
  })
  inferred_task: string;
}

/** The SPEC's completion response, shared by `/completion` and `/chat`. */
export class CompletionView {
  @ApiProperty({ example: 'a3c1e2f0-...', description: 'The request id: feedback and cancel take it' })
  completion_id: string;

  @ApiProperty({ example: '2026-11-28T10:00:00.000Z' })
  created_at: string;

  @ApiProperty({ type: ModelRefView })
  model: ModelRefView;

  @ApiProperty({ example: 'Recursion is a function calling itself on a smaller input.' })
  content: string;

  @ApiPropertyOptional({ type: [ToolCallView], description: 'The tools the model called (finish_reason tool_calls); absent when it called none' })
  tool_calls?: ToolCallView[];

  @ApiPropertyOptional({ type: [AlternativeView], description: 'With n above 1: the choices after the first (which is content and tool_calls)' })
  alternatives?: AlternativeView[];

  @ApiProperty({ type: UsageView, description: 'With n above 1, completion tokens count every choice' })
  usage: UsageView;

  @ApiProperty({ type: PerformanceView })
  performance: PerformanceView;

  @ApiProperty({ type: ResponseMetadataView })
  metadata: ResponseMetadataView;

  @ApiPropertyOptional({ type: RoutingView, description: 'How the request was routed; present when the request named no task_type and its kind was inferred' })
  routing?: RoutingView;

  @ApiPropertyOptional({
    example: true,
    description: 'Present (true) when the answer came from the response cache: no provider was called and estimated_cost is 0 (docs/api.md, Response cache)',
  })
  cached?: boolean;
}
