import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { IsNestedDto } from '../../common/validation/is-nested-dto';
import { MAX_MESSAGES, MAX_OUTPUT_TOKENS, MAX_TEXT_CHARS } from '../../inference/dto/inference-request.dto';
import { MAX_STOP_CHARS, MAX_STOP_SEQUENCES, MAX_TOP_K } from '../../inference/dto/sampling-fields.dto';
import { IsJsonSchema, MAX_DESCRIPTION_CHARS, MAX_TOOLS, TOOL_NAME } from '../../inference/dto/tools.dto';
import { MODEL_ID_PATTERN } from '../../models/dto/register-model.dto';
import { ASSISTANT_BLOCK_TYPES, isBlockList, MAX_BLOCKS, SYSTEM_BLOCK_TYPES, USER_BLOCK_TYPES } from './content-blocks';

/**
 * Anthropic's Messages API request, validated leniently as `/v1` is: fields this gateway does not
 * know are dropped from what it translates (and still reach Anthropic models, which get the body
 * as it came). Content blocks are checked by `content-blocks.ts`.
 */

/** Claude Code sends a JSON document of device and session ids here. */
const MAX_USER_ID_CHARS = 1024;

export class AnthropicMessageDto {
  @ApiProperty({ enum: ['user', 'assistant', 'system'], description: '`system`: a system message mid-conversation (as Claude Code sends)' })
  @IsIn(['user', 'assistant', 'system'])
  role: 'user' | 'assistant' | 'system';

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }],
    description: 'A string, or blocks: text, image, tool_use (assistant), tool_result (user), thinking and redacted_thinking (assistant)',
  })
  @ValidateBy({
    name: 'isMessageContent',
    validator: {
      validate: (value: unknown, args) => {
        if (typeof value === 'string') return value.length > 0 && value.length <= MAX_TEXT_CHARS;
        const role = (args?.object as { role?: unknown }).role;
        return isBlockList(value, role === 'assistant' ? ASSISTANT_BLOCK_TYPES : role === 'system' ? SYSTEM_BLOCK_TYPES : USER_BLOCK_TYPES);
      },
      defaultMessage: () =>
        `content must be a non-empty string or 1 to ${MAX_BLOCKS} blocks: text, image (base64 or url source) and tool_result in user messages, ` +
        'text, tool_use, thinking and redacted_thinking in assistant messages, each with its required fields',
    },
  })
  content: string | Record<string, unknown>[];
}

export class AnthropicToolDto {
  @ApiProperty({ example: 'get_weather', pattern: TOOL_NAME.source })
  @IsString()
  @Matches(TOOL_NAME, { message: 'name must be 1-64 letters, digits, _ or -' })
  name: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_CHARS)
  description?: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { type: 'object', properties: { city: { type: 'string' } } } })
  @IsJsonSchema()
  input_schema: Record<string, unknown>;

  @ApiPropertyOptional({ enum: ['custom'], description: 'Only custom (client) tools: server tools are not served' })
  @IsOptional()
  @IsIn(['custom'], { message: 'type must be "custom" (server tools are not supported by this gateway)' })
  type?: 'custom';

  @ApiPropertyOptional({ type: 'object', properties: { type: { enum: ['ephemeral'] } } })
  @IsOptional()
  @IsObject()
  cache_control?: Record<string, unknown>;
}

export class AnthropicToolChoiceDto {
  @ApiProperty({ enum: ['auto', 'any', 'tool', 'none'] })
  @IsIn(['auto', 'any', 'tool', 'none'])
  type: 'auto' | 'any' | 'tool' | 'none';

  @ApiPropertyOptional({ description: 'With type tool: the tool to call (required)' })
  @ValidateIf((choice: AnthropicToolChoiceDto) => choice.type === 'tool' || choice.name !== undefined)
  @IsString({ message: 'name is required with type "tool"' })
  @Matches(TOOL_NAME, { message: 'name must be 1-64 letters, digits, _ or -' })
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  disable_parallel_tool_use?: boolean;
}

export class AnthropicMetadataDto {
  @ApiPropertyOptional({ example: 'user-42', description: 'Recorded as the request metadata user_id (one longer than 128 characters as its SHA-256, `sha256:<hex>`)' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_USER_ID_CHARS)
  user_id?: string;
}

export class OutputFormatDto {
  @ApiProperty({ enum: ['json_schema'] })
  @IsIn(['json_schema'])
  type: 'json_schema';

  @ApiProperty({ type: 'object', additionalProperties: true })
  @IsJsonSchema()
  schema: Record<string, unknown>;
}

export class OutputConfigDto {
  @ApiPropertyOptional({ enum: ['low', 'medium', 'high'], description: 'Other models get it as reasoning_effort' })
  @IsOptional()
  @IsIn(['low', 'medium', 'high'])
  effort?: 'low' | 'medium' | 'high';

  @ApiPropertyOptional({ type: OutputFormatDto, description: 'Structured output: other models get it as response_format json_schema' })
  @IsOptional()
  @IsNestedDto(() => OutputFormatDto)
  format?: OutputFormatDto;
}

/** What `count_tokens` takes: a request without its generation settings. */
export class CountTokensRequestDto {
  @ApiProperty({ example: 'claude-sonnet-4-5', description: 'A registered model id or alias, or `auto` / `auto:<task_type>`' })
  @IsString()
  @Matches(MODEL_ID_PATTERN, { message: 'model must be a registered model id or alias, "auto" or "auto:<task_type>"' })
  model: string;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }], description: 'A string or text blocks' })
  @IsOptional()
  @ValidateBy({
    name: 'isSystem',
    validator: {
      validate: (value: unknown) => (typeof value === 'string' ? value.length <= MAX_TEXT_CHARS : isBlockList(value, SYSTEM_BLOCK_TYPES)),
      defaultMessage: () => 'system must be a string or text blocks',
    },
  })
  system?: string | Record<string, unknown>[];

  @ApiProperty({ type: [AnthropicMessageDto] })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MESSAGES)
  @IsNestedDto(() => AnthropicMessageDto, { each: true })
  messages: AnthropicMessageDto[];

  @ApiPropertyOptional({ type: [AnthropicToolDto] })
  @IsOptional()
  @ArrayMaxSize(MAX_TOOLS)
  @IsNestedDto(() => AnthropicToolDto, { each: true })
  tools?: AnthropicToolDto[];

  @ApiPropertyOptional({ type: AnthropicToolChoiceDto })
  @IsOptional()
  @IsNestedDto(() => AnthropicToolChoiceDto)
  tool_choice?: AnthropicToolChoiceDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Extended thinking: passed to Anthropic models, named in X-Ignored-Params for others' })
  @IsOptional()
  @IsObject()
  thinking?: Record<string, unknown>;
}

export class MessagesRequestDto extends CountTokensRequestDto {
  @ApiProperty({ minimum: 1, example: 1024 })
  @IsInt()
  @Min(1)
  @Max(MAX_OUTPUT_TOKENS)
  max_tokens: number;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_STOP_SEQUENCES })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_STOP_SEQUENCES)
  @IsString({ each: true })
  @MaxLength(MAX_STOP_CHARS, { each: true })
  stop_sequences?: string[];

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  temperature?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  top_p?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TOP_K })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOP_K)
  top_k?: number;

  @ApiPropertyOptional({ type: AnthropicMetadataDto })
  @IsOptional()
  @IsNestedDto(() => AnthropicMetadataDto)
  metadata?: AnthropicMetadataDto;

  @ApiPropertyOptional({ type: OutputConfigDto })
  @IsOptional()
  @IsNestedDto(() => OutputConfigDto)
  output_config?: OutputConfigDto;

  @ApiPropertyOptional({ description: "Answer with Anthropic's Server-Sent Events" })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}
