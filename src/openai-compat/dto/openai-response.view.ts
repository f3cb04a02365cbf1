import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ToolCallView } from '../../inference/dto/completion.view';
import { FinishReason } from '../../providers/provider.types';

/** OpenAI's response objects as this gateway sends them; the `OpenAi` prefix keeps Swagger schema names apart from ours. */

export class PromptTokensDetailsView {
  @ApiProperty({ example: 1024, description: "Prompt tokens read from the provider's prompt cache" })
  cached_tokens: number;
}

export class OpenAiUsageView {
  @ApiProperty({ example: 12 })
  prompt_tokens: number;

  @ApiProperty({ example: 48 })
  completion_tokens: number;

  @ApiProperty({ example: 60 })
  total_tokens: number;

  @ApiPropertyOptional({ type: PromptTokensDetailsView, description: 'Where the provider reported prompt-cache reads' })
  prompt_tokens_details?: PromptTokensDetailsView;

  @ApiProperty({ example: 0.0000306, description: 'Extra field: USD from the model registered prices per 1K tokens' })
  estimated_cost: number;
}

export class OpenAiAssistantMessageView {
  @ApiProperty({ enum: ['assistant'] })
  role: 'assistant';

  @ApiProperty({ example: 'Recursion is a function calling itself on a smaller input.', nullable: true, type: String, description: 'null when the model only called tools' })
  content: string | null;

  @ApiPropertyOptional({ type: [ToolCallView], description: 'The tools the model called (finish_reason tool_calls)' })
  tool_calls?: ToolCallView[];

  @ApiProperty({ type: String, nullable: true, example: null })
  refusal: null;
}

const finishReason = ApiProperty({
  enum: ['stop', 'length', 'content_filter', 'tool_calls', 'cancelled'],
  example: 'stop',
  description: '`cancelled` when the request was cancelled (model.request.cancel); content is what was produced before',
});

export class OpenAiChatChoiceView {
  @ApiProperty({ example: 0 })
  index: number;

  @ApiProperty({ type: OpenAiAssistantMessageView })
  message: OpenAiAssistantMessageView;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null, description: 'Always null: log-probabilities are not returned' })
  logprobs: null;

  @finishReason
  finish_reason: FinishReason;
}

export class OpenAiChatCompletionView {
  @ApiProperty({ example: 'a3c1e2f0-...', description: 'The request id (also in X-Request-Id): feedback and cancel take it' })
  id: string;

  @ApiProperty({ enum: ['chat.completion'] })
  object: 'chat.completion';

  @ApiProperty({ example: 1795830000, description: 'Unix seconds' })
  created: number;

  @ApiProperty({ example: 'gpt-4o-mini', description: 'The model that answered' })
  model: string;

  @ApiProperty({ type: [OpenAiChatChoiceView] })
  choices: OpenAiChatChoiceView[];

  @ApiProperty({ type: OpenAiUsageView })
  usage: OpenAiUsageView;
}

export class OpenAiTextChoiceView {
  @ApiProperty({ example: ' there was a tiny model.' })
  text: string;

  @ApiProperty({ example: 0 })
  index: number;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null, description: 'Always null: log-probabilities are not returned' })
  logprobs: null;

  @finishReason
  finish_reason: FinishReason;
}

export class OpenAiTextCompletionView {
  @ApiProperty({ example: 'a3c1e2f0-...', description: 'The request id (also in X-Request-Id)' })
  id: string;

  @ApiProperty({ enum: ['text_completion'] })
  object: 'text_completion';

  @ApiProperty({ example: 1795830000 })
  created: number;

  @ApiProperty({ example: 'stories260k' })
  model: string;

  @ApiProperty({ type: [OpenAiTextChoiceView] })
  choices: OpenAiTextChoiceView[];

  @ApiProperty({ type: OpenAiUsageView })
  usage: OpenAiUsageView;
}

export class OpenAiEmbeddingView {
  @ApiProperty({ enum: ['embedding'] })
  object: 'embedding';

  @ApiProperty({ example: 0 })
  index: number;

  @ApiProperty({
    oneOf: [
      { type: 'array', items: { type: 'number' } },
      { type: 'string', format: 'byte', description: 'encoding_format=base64: little-endian float32' },
    ],
    example: [0.0123, -0.0456],
  })
  embedding: number[] | string;
}

export class OpenAiEmbeddingUsageView {
  @ApiProperty({ example: 12 })
  prompt_tokens: number;

  @ApiProperty({ example: 12 })
  total_tokens: number;

  @ApiProperty({ example: 0.00000024, description: 'Extra field: USD, input tokens x the model input price' })
  estimated_cost: number;
}

export class OpenAiEmbeddingListView {
  @ApiProperty({ enum: ['list'] })
  object: 'list';

  @ApiProperty({ type: [OpenAiEmbeddingView] })
  data: OpenAiEmbeddingView[];

  @ApiProperty({ example: 'text-embedding-3-small' })
  model: string;

  @ApiProperty({ type: OpenAiEmbeddingUsageView })
  usage: OpenAiEmbeddingUsageView;
}

export class OpenAiModelView {
  @ApiProperty({ example: 'gpt-4o-mini' })
  id: string;

  @ApiProperty({ enum: ['model'] })
  object: 'model';

  @ApiProperty({ example: 0, description: 'Always 0: the registry does not publish creation times' })
  created: number;

  @ApiProperty({ example: 'openai', description: 'The provider kind; `model-orchestration` for `auto`' })
  owned_by: string;
}

export class OpenAiModelListView {
  @ApiProperty({ enum: ['list'] })
  object: 'list';

  @ApiProperty({ type: [OpenAiModelView] })
  data: OpenAiModelView[];
}

export class OpenAiErrorView {
  @ApiProperty({ example: 'n: n must not be greater than 16' })
  message: string;

  @ApiProperty({
    enum: ['invalid_request_error', 'authentication_error', 'permission_error', 'rate_limit_error', 'api_error', 'server_error'],
    example: 'invalid_request_error',
  })
  type: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'n', description: 'The first offending field or header' })
  param: string | null;

  @ApiProperty({ example: 'validation_failed', description: "The service's error code (`invalid_api_key` for a wrong key)" })
  code: string;
}

export class OpenAiErrorBodyView {
  @ApiProperty({ type: OpenAiErrorView })
  error: OpenAiErrorView;
}

/** A piece of a streamed tool call: the first of a call has its id, type and name. */
export interface ToolCallChunkDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

/** One frame of a chat stream (`object: "chat.completion.chunk"`). */
export interface OpenAiChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: number; delta: { role?: 'assistant'; content?: string; tool_calls?: ToolCallChunkDelta[] }; logprobs: null; finish_reason: FinishReason | null }[];
  usage?: OpenAiUsageView | null;
}

/** One frame of a legacy completion stream (`object: "text_completion"`). */
export interface OpenAiTextChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: { text: string; index: number; logprobs: null; finish_reason: FinishReason | null }[];
  usage?: OpenAiUsageView | null;
}
