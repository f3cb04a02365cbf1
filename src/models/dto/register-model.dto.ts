import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { IsNestedDto } from '../../common/validation/is-nested-dto';
import { IDENTIFIER, IsScoreMap } from '../../common/validation/is-score-map';
import { PROVIDER_KINDS, ProviderKind } from '../../providers/provider.types';

export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;

export class PerformanceBaselineDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 1, example: 0.8, description: 'Initial overall quality score' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  quality_score?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number', minimum: 0, maximum: 1 },
    example: { code_generation: 0.85, reasoning: 0.75 },
    description: 'Initial score per task type',
  })
  @IsOptional()
  @IsScoreMap()
  task_specific?: Record<string, number>;
}

export class ModelConfigurationDto {
  @ApiPropertyOptional({ example: 'sk-...', description: 'Provider API key; stored encrypted, never returned', writeOnly: true })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  api_key?: string;

  @ApiPropertyOptional({ example: 'http://127.0.0.1:8000/v1', description: 'Provider base URL (any OpenAI-compatible server for provider openai)' })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  api_url?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { model_path: '/models/my.gguf' }, description: 'Provider-specific options' })
  @IsOptional()
  @IsObject()
  options?: Record<string, unknown>;
}

export class PricingDto {
  @ApiPropertyOptional({ minimum: 0, example: 0.0025, description: 'USD per 1K input tokens' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  input?: number;

  @ApiPropertyOptional({ minimum: 0, example: 0.01, description: 'USD per 1K output tokens' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  output?: number;

  @ApiPropertyOptional({
    minimum: 0,
    example: 0.00125,
    nullable: true,
    type: Number,
    description: "USD per 1K input tokens read from the provider's prompt cache; unset bills them at the input price, null unsets a stored one",
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  cached_input?: number | null;

  @ApiPropertyOptional({
    minimum: 0,
    example: 0.00375,
    nullable: true,
    type: Number,
    description: "USD per 1K input tokens written to the provider's prompt cache (Anthropic); unset bills them at the input price, null unsets a stored one",
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  cache_write?: number | null;
}

/** Token counts are stored in Postgres `integer` columns. */
const MAX_TOKEN_COUNT = 2_147_483_647;

export class ModelPropertiesDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TOKEN_COUNT, example: 128000, description: 'Maximum context length in tokens' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOKEN_COUNT)
  context_length?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TOKEN_COUNT, example: 16384, description: 'Maximum tokens generated per request' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOKEN_COUNT)
  token_limit?: number;

  @ApiPropertyOptional({ type: PricingDto })
  @IsOptional()
  @IsNestedDto(() => PricingDto)
  pricing?: PricingDto;
}

export class ModelMetadataDto {
  @ApiPropertyOptional({ example: '2024-08-06' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  version?: string;

  @ApiPropertyOptional({ example: 'OpenAI GPT-4o' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

/** Body of the `model.register` command and of `POST /api/admin/models`. */
export class RegisterModelDto {
  @ApiProperty({ example: 'my-vllm-llama', description: 'Unique model identifier (also the provider-side model name unless options.model says otherwise)' })
  @IsString()
  @Matches(MODEL_ID_PATTERN, { message: 'model_id must be 1-128 characters of letters, digits and . _ : / @ -, starting with a letter or digit' })
  model_id: string;

  @ApiProperty({ enum: PROVIDER_KINDS, example: 'openai' })
  @IsIn(PROVIDER_KINDS)
  provider: ProviderKind;

  @ApiProperty({ type: [String], example: ['chat', 'completion', 'code'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(32)
  @ArrayUnique()
  @Matches(IDENTIFIER, { each: true, message: 'each capability must be a lower-case identifier (a-z, 0-9, _)' })
  capabilities: string[];

  @ApiPropertyOptional({ type: PerformanceBaselineDto })
  @IsOptional()
  @IsNestedDto(() => PerformanceBaselineDto)
  performance_baseline?: PerformanceBaselineDto;

  @ApiPropertyOptional({ type: ModelConfigurationDto })
  @IsOptional()
  @IsNestedDto(() => ModelConfigurationDto)
  configuration?: ModelConfigurationDto;

  @ApiPropertyOptional({ type: ModelPropertiesDto })
  @IsOptional()
  @IsNestedDto(() => ModelPropertiesDto)
  properties?: ModelPropertiesDto;

  @ApiPropertyOptional({ type: ModelMetadataDto })
  @IsOptional()
  @IsNestedDto(() => ModelMetadataDto)
  metadata?: ModelMetadataDto;
}
