import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsNestedDto } from '../../common/validation/is-nested-dto';
import { MAX_DIMENSIONS, MAX_TEXT_LENGTH, MAX_TEXTS } from '../../embeddings/dto/embeddings.dto';
import { MAX_CHOICES, MAX_MESSAGES, MAX_OUTPUT_TOKENS, MAX_TEXT_CHARS } from '../../inference/dto/inference-request.dto';
import { SamplingFieldsDto } from '../../inference/dto/sampling-fields.dto';
import { MODEL_ID_PATTERN } from '../../models/dto/register-model.dto';
import { IsTextInput } from './openai-validators';
import { ChatMessageFieldsDto } from '../../inference/dto/chat-message.dto';
import { IsToolChoice, MAX_TOOLS, ResponseFormatDto, ToolChoiceValue, ToolDto } from '../../inference/dto/tools.dto';

/**
 * OpenAI's request bodies, validated leniently: fields this gateway does not know are accepted and
 * dropped (clients such as LangChain send many); sampling parameters, hints, tools and response
 * formats are served as on `/api/models/*` (docs/parameters.md); fields whose omission would change
 * the answer a caller expects (legacy functions, log-probabilities) are refused with a 400.
 */

/** `model`: a registered model id, `auto`, or `auto:<task_type>`. */
const modelProperty = (example: string) =>
  ApiProperty({
    example,
    description: 'A registered model id, or `auto` / `auto:<task_type>` to let the router choose',
  });

const IsModel = () => Matches(MODEL_ID_PATTERN, { message: 'model must be a registered model id, "auto" or "auto:<task_type>"' });

const notSupported = (what: string) => ({ message: `${what} not supported by this gateway` });

export class StreamOptionsDto {
  @ApiPropertyOptional({ example: true, description: 'End the stream with a chunk carrying `usage` and no choices' })
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

export class OpenAiMetadataDto {
  @ApiPropertyOptional({ example: 'project-7', description: 'Recorded as the request metadata project_id' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  project_id?: string;

  @ApiPropertyOptional({ example: 'task-3', description: 'Recorded as the request metadata task_id' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  task_id?: string;
}

export const OPENAI_CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;
export type OpenAiChatRole = (typeof OPENAI_CHAT_ROLES)[number];

export class OpenAiChatMessageDto extends ChatMessageFieldsDto {
  @ApiProperty({ enum: OPENAI_CHAT_ROLES, example: 'user', description: '`developer` is served as `system`' })
  @IsIn(OPENAI_CHAT_ROLES, { message: `role must be one of ${OPENAI_CHAT_ROLES.join(', ')} (function messages are not supported)` })
  role: OpenAiChatRole;
}

/** Fields chat and legacy completions share; stop, top_p and the hints are defined once for both APIs. */
abstract class OpenAiGenerationRequestDto extends SamplingFieldsDto {
  @ApiPropertyOptional({ minimum: 1, example: 256 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_OUTPUT_TOKENS)
  max_tokens?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 2, example: 0.7, description: 'Honoured, or the model is not eligible (Anthropic takes none: docs/parameters.md)' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ example: false, description: 'Answer with Server-Sent Events (`data: {chunk}` frames, then `data: [DONE]`)' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({ type: StreamOptionsDto })
  @IsOptional()
  @IsNestedDto(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

}

export class OpenAiChatRequestDto extends OpenAiGenerationRequestDto {
  @modelProperty('auto')
  @IsString()
  @IsModel()
  model: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_CHOICES, example: 1, description: 'Choices to generate: above 1 only OpenAI-protocol models are eligible, and not with stream' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CHOICES)
  n?: number;

  @ApiProperty({ type: [OpenAiChatMessageDto] })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MESSAGES)
  @IsNestedDto(() => OpenAiChatMessageDto, { each: true })
  messages: OpenAiChatMessageDto[];

  @ApiPropertyOptional({ minimum: 1, example: 256, description: 'Takes precedence over max_tokens' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_OUTPUT_TOKENS)
  max_completion_tokens?: number;

  @ApiPropertyOptional({ type: OpenAiMetadataDto, description: 'Only project_id and task_id are used; other keys are ignored' })
  @IsOptional()
  @IsNestedDto(() => OpenAiMetadataDto)
  metadata?: OpenAiMetadataDto;

  @ApiPropertyOptional({ type: ResponseFormatDto, description: 'json_object / json_schema: honoured by every provider kind, and the answer is checked against the schema' })
  @IsOptional()
  @IsNestedDto(() => ResponseFormatDto)
  response_format?: ResponseFormatDto;

  @ApiPropertyOptional({ enum: [false], description: 'Log-probabilities are not returned: only false' })
  @IsOptional()
  @IsIn([false], notSupported('logprobs are'))
  logprobs?: false;

  @ApiPropertyOptional({ type: [ToolDto], maxItems: MAX_TOOLS, description: 'Functions the model may call: only models with the function_calling capability are eligible' })
  @IsOptional()
  @ArrayMaxSize(MAX_TOOLS)
  @IsNestedDto(() => ToolDto, { each: true })
  tools?: ToolDto[];

  @ApiPropertyOptional({ description: '"auto", "none", "required" or {"type": "function", "function": {"name"}}; only with tools' })
  @IsOptional()
  @IsToolChoice()
  tool_choice?: ToolChoiceValue;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, maxItems: 0, description: 'The legacy functions field is not supported (use tools): only empty' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(0, notSupported('functions (use tools) are'))
  functions?: unknown[];
}

export class OpenAiCompletionRequestDto extends OpenAiGenerationRequestDto {
  @modelProperty('stories260k')
  @IsString()
  @IsModel()
  model: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1, example: 1, description: 'Only 1 (several choices are served on chat completions)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1, { message: 'n must be 1 on legacy completions: several choices are served on /v1/chat/completions' })
  n?: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1 }],
    example: 'Once upon a time',
    description: 'A string, or an array of exactly one string',
  })
  @IsTextInput({ minItems: 1, maxItems: 1, maxLength: MAX_TEXT_CHARS })
  prompt: string | string[];

  @ApiPropertyOptional({ enum: [false], description: 'Only false' })
  @IsOptional()
  @IsIn([false], notSupported('echo is'))
  echo?: false;

  @ApiPropertyOptional({ minimum: 1, maximum: 1, description: 'Only 1' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1, { message: 'best_of must be 1: several candidates per request are not supported by this gateway' })
  best_of?: number;

  @ApiPropertyOptional({ enum: [0], nullable: true, description: 'Log-probabilities are not returned: only 0 or null' })
  @IsOptional()
  @IsIn([0], notSupported('logprobs are'))
  logprobs?: 0 | null;
}

export const ENCODING_FORMATS = ['float', 'base64'] as const;
export type EncodingFormat = (typeof ENCODING_FORMATS)[number];

export class OpenAiEmbeddingsRequestDto {
  @modelProperty('auto')
  @IsString()
  @IsModel()
  model: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: MAX_TEXTS }],
    example: ['The quick brown fox', 'jumps over the lazy dog'],
  })
  @IsTextInput({ minItems: 1, maxItems: MAX_TEXTS, maxLength: MAX_TEXT_LENGTH })
  input: string | string[];

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_DIMENSIONS, example: 256 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DIMENSIONS)
  dimensions?: number;

  @ApiPropertyOptional({ enum: ENCODING_FORMATS, default: 'float', description: '`base64`: little-endian float32, as OpenAI sends it' })
  @IsOptional()
  @IsIn(ENCODING_FORMATS)
  encoding_format?: EncodingFormat;
}
