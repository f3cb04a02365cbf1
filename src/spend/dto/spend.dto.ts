import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { TIME_RANGE_PATTERN } from '../../performance/time-range';

export const SPEND_GROUPS = ['key', 'team', 'project', 'user', 'model', 'task_type'] as const;
export type SpendGroup = (typeof SPEND_GROUPS)[number];

export class SpendQueryDto {
  @ApiPropertyOptional({ enum: SPEND_GROUPS, default: 'key', description: "What each line totals: a key, its owner's team, project or user, the answering model, or the task type" })
  @IsOptional()
  @IsIn(SPEND_GROUPS)
  group_by?: SpendGroup;

  @ApiPropertyOptional({ example: '30d', default: '30d', description: '<n>h, <n>d, <n>w or <n>m (months), back from now' })
  @IsOptional()
  @Matches(TIME_RANGE_PATTERN, { message: 'time_range must be <n>h, <n>d, <n>w or <n>m, e.g. 7d' })
  time_range?: string;
}

export class SpendLineView {
  @ApiProperty({ nullable: true, type: String, description: 'The group: a key id, a label, a model id or a task type; null for requests without one (no key, no model)' })
  group: string | null;

  @ApiPropertyOptional({ description: "The key's name (group_by=key)" })
  name?: string | null;

  @ApiProperty({ description: 'Requests that ended with a recorded cost (answered or cancelled)' })
  requests: number;

  @ApiProperty()
  prompt_tokens: number;

  @ApiProperty()
  completion_tokens: number;

  @ApiProperty({ description: 'USD, the sum of the requests’ estimated_cost' })
  cost: number;
}

export class SpendReportView {
  @ApiProperty({ enum: SPEND_GROUPS })
  group_by: SpendGroup;

  @ApiProperty({ example: '30d' })
  time_range: string;

  @ApiProperty({ description: 'Start of the range (ISO 8601)' })
  from: string;

  @ApiProperty({ type: [SpendLineView], description: 'Dearest first' })
  lines: SpendLineView[];

  @ApiProperty({ description: 'USD over every line' })
  total_cost: number;
}
