import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { REQUEST_ID_PATTERN } from '../../common/http/request-id.middleware';
import { IsNestedDto } from '../../common/validation/is-nested-dto';
import { MAX_TEXT_CHARS } from '../../inference/dto/inference-request.dto';

export class CorrectionsDto {
  @ApiPropertyOptional({ example: 'def add(a, b): return a - b' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT_CHARS)
  original?: string;

  @ApiPropertyOptional({ example: 'def add(a, b): return a + b' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT_CHARS)
  corrected?: string;
}

export class FeedbackMetadataDto {
  @ApiPropertyOptional({ example: 'user-42', description: 'Feedback from the same user on the same request replaces the earlier one' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  user_id?: string;

  @ApiPropertyOptional({ example: 'task-3' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  task_id?: string;
}

export class FeedbackRequestDto {
  @ApiProperty({ example: 'a3c1e2f0-5b7d-4c1e-9f0a-2b3c4d5e6f70', description: 'The completion_id of the request' })
  @IsString()
  @Matches(REQUEST_ID_PATTERN, { message: 'request_id must be 1-64 characters of A-Z, a-z, 0-9, _ and -' })
  request_id: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, example: 0.9 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  quality_rating?: number;

  @ApiProperty({ example: true })
  @IsBoolean()
  success: boolean;

  @ApiPropertyOptional({ example: 'Correct, but verbose.' })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  feedback?: string;

  @ApiPropertyOptional({ type: CorrectionsDto })
  @IsOptional()
  @IsNestedDto(() => CorrectionsDto)
  corrections?: CorrectionsDto;

  @ApiPropertyOptional({ type: FeedbackMetadataDto })
  @IsOptional()
  @IsNestedDto(() => FeedbackMetadataDto)
  metadata?: FeedbackMetadataDto;
}

class UpdatedMetricsView {
  @ApiProperty({ example: 0.84, description: "The model's quality score for the request's task type after this feedback" })
  quality_score: number;

  @ApiProperty({ example: 0.96 })
  success_rate: number;
}

export class FeedbackView {
  @ApiProperty({ example: '0b9c7a3e-1f2d-4e5a-8b6c-7d8e9f0a1b2c' })
  feedback_id: string;

  @ApiProperty({ example: '2026-11-28T10:00:00.000Z' })
  created_at: string;

  @ApiProperty({ enum: ['accepted'] })
  status: 'accepted';

  @ApiProperty({ type: UpdatedMetricsView })
  updated_metrics: UpdatedMetricsView;
}
