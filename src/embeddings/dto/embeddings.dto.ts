import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MODEL_ID_PATTERN } from '../../models/dto/register-model.dto';

export const MAX_TEXTS = 256;
export const MAX_TEXT_LENGTH = 32_768;
export const MAX_DIMENSIONS = 8192;

export class EmbeddingsRequestDto {
  @ApiProperty({ type: [String], example: ['The quick brown fox', 'jumps over the lazy dog'], maxItems: MAX_TEXTS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TEXTS)
  @IsString({ each: true })
  @MinLength(1, { each: true, message: 'each text must be non-empty' })
  @MaxLength(MAX_TEXT_LENGTH, { each: true, message: `each text must be at most ${MAX_TEXT_LENGTH} characters` })
  texts: string[];

  @ApiPropertyOptional({ example: 'text-embedding-3-small', description: 'Embedding model; default: the cheapest available one' })
  @IsOptional()
  @IsString()
  @Matches(MODEL_ID_PATTERN, { message: 'model_id is not a valid model identifier' })
  model_id?: string;

  @ApiPropertyOptional({
    example: 256,
    minimum: 1,
    maximum: MAX_DIMENSIONS,
    description: 'Passed to providers that support it; otherwise vectors are truncated and re-normalized. Larger than the model gives: 400',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DIMENSIONS)
  dimensions?: number;
}

class EmbeddingModelView {
  @ApiProperty({ example: 'text-embedding-3-small' })
  id: string;

  @ApiProperty({ example: 'openai' })
  provider: string;
}

class EmbeddingUsageView {
  @ApiProperty({ example: 12 })
  total_tokens: number;

  @ApiProperty({ example: 0.00000024, description: 'USD: input tokens x the model input price' })
  estimated_cost: number;
}

export class EmbeddingsResponseView {
  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'number' } }, example: [[0.0123, -0.0456]] })
  embeddings: number[][];

  @ApiProperty({ type: EmbeddingModelView })
  model: EmbeddingModelView;

  @ApiProperty({ type: EmbeddingUsageView })
  usage: EmbeddingUsageView;
}
