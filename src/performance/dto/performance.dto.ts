import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { TASK_TYPE_OR_KIND, TASK_TYPE_OR_KIND_MESSAGE } from '../../common/validation/task-type';
import { MODEL_ID_PATTERN } from '../../models/dto/register-model.dto';
import { Granularity, GRANULARITIES } from '../rollup.repository';
import { TIME_RANGE_PATTERN } from '../time-range';

export class PerformanceQueryDto {
  @ApiPropertyOptional({ example: 'gpt-4o', description: 'Only this model (404 when unknown)' })
  @IsOptional()
  @IsString()
  @Matches(MODEL_ID_PATTERN, { message: 'model_id is not a valid model identifier' })
  model_id?: string;

  @ApiPropertyOptional({ example: 'code_generation', description: 'Narrows task_specific and trends to this task type' })
  @IsOptional()
  @Matches(TASK_TYPE_OR_KIND, { message: `task_type must be ${TASK_TYPE_OR_KIND_MESSAGE}` })
  task_type?: string;

  @ApiPropertyOptional({ example: '30d', default: '30d', description: '<n>h, <n>d, <n>w or <n>m (months)' })
  @IsOptional()
  @Matches(TIME_RANGE_PATTERN, { message: 'time_range must be <n>h, <n>d, <n>w or <n>m, e.g. 7d' })
  time_range?: string;

  @ApiPropertyOptional({ enum: GRANULARITIES, description: 'Trend periods; default daily up to 90 days, weekly beyond' })
  @IsOptional()
  @IsIn(GRANULARITIES)
  granularity?: Granularity;
}

export class TaskMetricsView {
  @ApiProperty({ example: 0.86 })
  quality_score: number;

  @ApiProperty({ example: 0.97 })
  success_rate: number;

  @ApiProperty({ example: 120, description: 'Observations the scores beside it include (since the last reset, voided feedback excluded); not limited to the time range' })
  sample_count: number;
}

class ModelMetricsView {
  @ApiProperty({ example: 0.84 })
  overall_quality: number;

  @ApiProperty({ example: 0.96 })
  success_rate: number;

  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/TaskMetricsView' } })
  task_specific: Record<string, TaskMetricsView>;
}

class TrendsView {
  @ApiProperty({
    type: 'array',
    items: { type: 'number', nullable: true },
    example: [0.92, 0.93, 0.95],
    description: 'Per period, oldest first; null in a period with no quality signal',
  })
  quality_trend: (number | null)[];

  @ApiProperty({ type: [Number], example: [0.98, 0.97, 0.99] })
  success_trend: number[];

  @ApiProperty({ type: [String], example: ['2026-11-26T00:00:00.000Z'], description: 'Start of each period' })
  periods: string[];

  @ApiProperty({ enum: GRANULARITIES })
  granularity: Granularity;
}

export class ModelPerformanceView {
  @ApiProperty({ example: 'gpt-4o' })
  model_id: string;

  @ApiProperty({ example: 'openai' })
  provider: string;

  @ApiProperty({ type: ModelMetricsView })
  metrics: ModelMetricsView;

  @ApiProperty({ type: TrendsView })
  trends: TrendsView;
}

export class PerformanceReportView {
  @ApiProperty({ type: [ModelPerformanceView] })
  models: ModelPerformanceView[];
}

/** Body of `model.performance.reset` and `POST /api/admin/performance/reset`. */
export class ResetPerformanceDto {
  @ApiProperty({ example: 'gpt-4o' })
  @IsString()
  @Matches(MODEL_ID_PATTERN, { message: 'model_id is not a valid model identifier' })
  model_id: string;

  @ApiPropertyOptional({ type: [String], example: ['code_generation'], description: 'Only these task types; all when omitted' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @Matches(TASK_TYPE_OR_KIND, { each: true, message: `each task type must be ${TASK_TYPE_OR_KIND_MESSAGE}` })
  task_types?: string[];
}

class OverallMetricsView {
  @ApiProperty({ example: 0.8 })
  overall_quality: number;

  @ApiProperty({ example: 0.9 })
  success_rate: number;
}

export class ResetResultView {
  @ApiProperty({ example: 'gpt-4o' })
  model_id: string;

  @ApiProperty({ type: [String], nullable: true, example: ['code_generation'], description: 'null: every task type' })
  task_types: string[] | null;

  @ApiProperty({ example: '2026-11-28T10:00:00.000Z' })
  reset_at: string;

  @ApiProperty({ type: OverallMetricsView, description: 'The overall scores after the reset' })
  metrics: OverallMetricsView;
}

