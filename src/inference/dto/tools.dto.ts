import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDefined, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateBy, ValidateIf } from 'class-validator';
import { IsNestedDto } from '../../common/validation/is-nested-dto';

/**
 * Tools, tool calls, response formats and cache markers in OpenAI's request shapes, shared by
 * `/api/models/chat` and `/v1/chat/completions` (docs/parameters.md says what each provider gets).
 */

export const MAX_TOOLS = 128;
export const MAX_TOOL_CALLS = 128;
/** A JSON schema (tool parameters, response format) serialized; the router and ajv walk it, so it is bounded. */
export const MAX_SCHEMA_CHARS = 100_000;
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Agents describe their tools at length (one of Claude Code's is over 10,000 characters). */
export const MAX_DESCRIPTION_CHARS = 100_000;
const TOOL_CALL_ID = /^[\x21-\x7e]{1,256}$/;

/** A JSON object of at most MAX_SCHEMA_CHARS when serialized (depth is bounded for every body by the JSON-safety walk). */
export function IsJsonSchema(): PropertyDecorator {
  return ValidateBy({
    name: 'isJsonSchema',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' && value !== null && !Array.isArray(value) && JSON.stringify(value).length <= MAX_SCHEMA_CHARS,
      defaultMessage: () => `$property must be a JSON Schema object of at most ${MAX_SCHEMA_CHARS} characters`,
    },
  });
}

export class CacheControlDto {
  @ApiProperty({ enum: ['ephemeral'], description: "Anthropic's prompt-cache marker; passed to Anthropic, ignored by providers that cache on their own" })
  @IsIn(['ephemeral'])
  type: 'ephemeral';

  @ApiPropertyOptional({ enum: ['5m', '1h'] })
  @IsOptional()
  @IsIn(['5m', '1h'])
  ttl?: '5m' | '1h';
}

export class FunctionDefinitionDto {
  @ApiProperty({ example: 'get_weather', pattern: TOOL_NAME.source })
  @IsString()
  @Matches(TOOL_NAME, { message: 'name must be 1-64 letters, digits, _ or -' })
  name: string;

  @ApiPropertyOptional({ example: 'Current weather for a city' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_CHARS)
  description?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'A JSON Schema for the arguments', example: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } })
  @IsOptional()
  @IsJsonSchema()
  parameters?: Record<string, unknown>;

  @ApiPropertyOptional({ description: "OpenAI's strict schema adherence; other providers get the schema as is" })
  @IsOptional()
  @IsBoolean()
  strict?: boolean;
}

export class ToolDto {
  @ApiProperty({ enum: ['function'] })
  @IsIn(['function'], { message: 'type must be "function"' })
  type: 'function';

  @ApiProperty({ type: FunctionDefinitionDto })
  @IsNestedDto(() => FunctionDefinitionDto)
  function: FunctionDefinitionDto;

  @ApiPropertyOptional({ type: CacheControlDto, description: 'Anthropic only: cache the prompt up to and including the tools' })
  @IsOptional()
  @IsNestedDto(() => CacheControlDto)
  cache_control?: CacheControlDto;
}

export type ToolChoiceValue = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** `auto`, `none`, `required`, or `{"type": "function", "function": {"name": ...}}`. */
export function IsToolChoice(): PropertyDecorator {
  return ValidateBy({
    name: 'isToolChoice',
    validator: {
      validate: (value: unknown) => {
        if (value === 'auto' || value === 'none' || value === 'required') return true;
        if (typeof value !== 'object' || value === null) return false;
        const choice = value as { type?: unknown; function?: { name?: unknown } };
        return choice.type === 'function' && typeof choice.function?.name === 'string' && TOOL_NAME.test(choice.function.name);
      },
      defaultMessage: () => 'tool_choice must be "auto", "none", "required" or {"type": "function", "function": {"name": "<tool name>"}}',
    },
  });
}

export class FunctionCallDto {
  @ApiProperty({ example: 'get_weather' })
  @IsString()
  @Matches(TOOL_NAME, { message: 'name must be 1-64 letters, digits, _ or -' })
  name: string;

  @ApiProperty({ example: '{"city":"Paris"}', description: 'The arguments as JSON text, as the model wrote them' })
  @IsString()
  @MaxLength(400_000)
  arguments: string;
}

export class ToolCallDto {
  @ApiProperty({ example: 'call_abc123', description: "The call's id; the tool message answering it names it in tool_call_id" })
  @IsString()
  @Matches(TOOL_CALL_ID, { message: 'id must be 1-256 printable ASCII characters without spaces' })
  id: string;

  @ApiProperty({ enum: ['function'] })
  @IsIn(['function'], { message: 'type must be "function"' })
  type: 'function';

  @ApiProperty({ type: FunctionCallDto })
  @IsNestedDto(() => FunctionCallDto)
  function: FunctionCallDto;
}

export class JsonSchemaFormatDto {
  @ApiProperty({ example: 'person', pattern: TOOL_NAME.source })
  @IsString()
  @Matches(TOOL_NAME, { message: 'name must be 1-64 letters, digits, _ or -' })
  name: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_CHARS)
  description?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The JSON Schema the answer must match; the gateway checks it (ajv) and falls back when it does not' })
  @IsOptional()
  @IsJsonSchema()
  schema?: Record<string, unknown>;

  @ApiPropertyOptional({ description: "OpenAI's strict mode; the gateway validates the answer either way" })
  @IsOptional()
  @IsBoolean()
  strict?: boolean;
}

export const RESPONSE_FORMAT_TYPES = ['text', 'json_object', 'json_schema'] as const;

export class ResponseFormatDto {
  @ApiProperty({ enum: RESPONSE_FORMAT_TYPES, description: 'json_object: any JSON object; json_schema: JSON matching json_schema.schema' })
  @IsIn(RESPONSE_FORMAT_TYPES)
  type: (typeof RESPONSE_FORMAT_TYPES)[number];

  @ApiPropertyOptional({ type: JsonSchemaFormatDto, description: 'Required with type json_schema' })
  @ValidateIf((format: ResponseFormatDto) => format.type === 'json_schema' || format.json_schema !== undefined)
  @IsDefined({ message: 'json_schema is required when type is "json_schema"' })
  @IsNestedDto(() => JsonSchemaFormatDto)
  json_schema?: JsonSchemaFormatDto;
}
