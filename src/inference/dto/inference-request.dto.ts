import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { IsNestedDto } from '../../common/validation/is-nested-dto';
import { CACHE_TTL_CEILING_SECONDS } from '../../config/app-config';
import { IDENTIFIER } from '../../common/validation/is-score-map';
import { MODEL_ID_PATTERN } from '../../models/dto/register-model.dto';
import { ChatMessageDto, MAX_TEXT_CHARS } from './chat-message.dto';
import { SamplingFieldsDto } from './sampling-fields.dto';
import { IsToolChoice, MAX_TOOLS, ResponseFormatDto, ToolChoiceValue, ToolDto } from './tools.dto';

export { MAX_TEXT_CHARS };

export const MAX_MESSAGES = 500;
export const MAX_CONTEXT_ITEMS = 50;
export const MAX_OUTPUT_TOKENS = 1_000_000;
/** Choices per chat request (`n`): each costs a whole answer. */
export const MAX_CHOICES = 16;

const score = (description: string, example: number) =>
  ApiPropertyOptional({ minimum: 0, maximum: 1, example, description });

export class RequirementsDto {
  @score('Higher for more predictable responses: weights success rate up and lowers the default temperature', 0.9)
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  reliability?: number;

  @score('Higher for more creative responses: raises the default temperature', 0.2)
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  creativity?: number;

  @ApiPropertyOptional({ type: [String], example: ['code'], description: 'Capabilities the chosen model must have' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @ArrayUnique()
  @Matches(IDENTIFIER, { each: true, message: 'each capability must be a lower-case identifier (a-z, 0-9, _)' })
  capabilities?: string[];

  @score('Only models whose quality score for the task type is at least this', 0.7)
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  min_quality_score?: number;

  @ApiPropertyOptional({ minimum: 0, example: 0.01, description: 'Only models whose expected cost per 1K tokens of this request (USD, at registered prices) is at most this' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  max_cost_per_1k?: number;
}

export class CacheOptionsDto {
  @ApiProperty({
    minimum: 0,
    example: 3600,
    description: "Seconds to keep this request's answer, at most CACHE_MAX_TTL_SECONDS; 0: neither answered from the cache nor stored (overrides the key's default)",
  })
  @IsInt()
  @Min(0)
  @Max(CACHE_TTL_CEILING_SECONDS)
  ttl_seconds: number;
}

export class ContextItemDto {
  @ApiProperty({ example: 'code', description: "e.g. 'text', 'code', 'file'" })
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,32}$/, { message: 'type must be 1-32 letters, digits, _ . -' })
  type: string;

  @ApiProperty({ example: 'def add(a, b): return a + b' })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TEXT_CHARS)
  content: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { filename: 'math.py' } })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class RequestMetadataDto {
  @ApiPropertyOptional({ example: 'user-42' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  user_id?: string;

  @ApiPropertyOptional({ example: 'project-7' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  project_id?: string;

  @ApiPropertyOptional({ example: 'task-3' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  task_id?: string;
}

/** Fields shared by completion and chat requests; the sampling parameters and hints are OpenAI's (`SamplingFieldsDto`). */
export abstract class InferenceRequestDto extends SamplingFieldsDto {
  @ApiPropertyOptional({ example: 'gpt-4o-mini', description: 'A specific model; otherwise the router chooses' })
  @IsOptional()
  @IsString()
  @Matches(MODEL_ID_PATTERN, { message: 'model_id is not a valid model identifier' })
  model_id?: string;

  @ApiPropertyOptional({ minimum: 1, example: 256, description: 'Honoured: a model whose token limit is lower is not eligible' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_OUTPUT_TOKENS)
  max_tokens?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 2,
    example: 0.7,
    description: 'Honoured, or the model is not eligible (Anthropic takes none: docs/parameters.md); when unset, derived from requirements',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ example: 'code_generation', description: "e.g. 'code_generation', 'reasoning', 'creative'; default 'general'" })
  @IsOptional()
  @Matches(IDENTIFIER, { message: 'task_type must be a lower-case identifier (a-z, 0-9, _)' })
  task_type?: string;

  @ApiPropertyOptional({ type: RequirementsDto })
  @IsOptional()
  @IsNestedDto(() => RequirementsDto)
  requirements?: RequirementsDto;

  @ApiPropertyOptional({ type: [ContextItemDto] })
  @IsOptional()
  @ArrayMaxSize(MAX_CONTEXT_ITEMS)
  @IsNestedDto(() => ContextItemDto, { each: true })
  context?: ContextItemDto[];

  @ApiPropertyOptional({ type: RequestMetadataDto })
  @IsOptional()
  @IsNestedDto(() => RequestMetadataDto)
  metadata?: RequestMetadataDto;

  @ApiPropertyOptional({ example: false, description: 'Answer with Server-Sent Events: content deltas, then the full body' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({ example: true, description: 'false: a named model_id never falls back to another model' })
  @IsOptional()
  @IsBoolean()
  fallback?: boolean;

  @ApiPropertyOptional({
    example: false,
    description: 'Queue the request and answer 202 at once (same as the header Prefer: respond-async); poll GET /api/models/requests/{id}',
  })
  @IsOptional()
  @IsBoolean()
  async?: boolean;

  @ApiPropertyOptional({
    type: CacheOptionsDto,
    description: 'Answer from the response cache when the same request (same key, model choice, messages and parameters) was answered within ttl_seconds, else store the answer (docs/api.md, Response cache)',
  })
  @IsOptional()
  @IsNestedDto(() => CacheOptionsDto)
  cache?: CacheOptionsDto;

  @ApiPropertyOptional({ type: ResponseFormatDto, description: 'JSON answers: honoured by every provider kind, and the answer is checked against the schema (docs/parameters.md)' })
  @IsOptional()
  @IsNestedDto(() => ResponseFormatDto)
  response_format?: ResponseFormatDto;
}

export class CompletionRequestDto extends InferenceRequestDto {
  @ApiProperty({ example: 'Write a haiku about the sea.' })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TEXT_CHARS)
  prompt: string;
}

export class ChatRequestDto extends InferenceRequestDto {
  @ApiProperty({ type: [ChatMessageDto] })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MESSAGES)
  @IsNestedDto(() => ChatMessageDto, { each: true })
  messages: ChatMessageDto[];

  @ApiPropertyOptional({ type: [ToolDto], maxItems: MAX_TOOLS, description: 'Functions the model may call: only models with the function_calling capability are eligible' })
  @IsOptional()
  @ArrayMaxSize(MAX_TOOLS)
  @IsNestedDto(() => ToolDto, { each: true })
  tools?: ToolDto[];

  @ApiPropertyOptional({
    oneOf: [{ type: 'string', enum: ['auto', 'none', 'required'] }, { type: 'object', properties: { type: { enum: ['function'] }, function: { type: 'object', properties: { name: { type: 'string' } } } } }],
    description: 'Whether and which tool the model must call; only with tools',
  })
  @IsOptional()
  @IsToolChoice()
  tool_choice?: ToolChoiceValue;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_CHOICES,
    example: 1,
    description: 'Choices to generate; above 1 only OpenAI-protocol models are eligible, not with stream, and the others come as `alternatives`',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CHOICES)
  n?: number;
}
