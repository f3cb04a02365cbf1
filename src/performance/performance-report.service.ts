import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ModelEntity } from '../models/model.entity';
import { ModelsService } from '../models/models.service';
import { ModelPerformanceView, PerformanceQueryDto, PerformanceReportView, ResetPerformanceDto, ResetResultView, TaskMetricsView } from './dto/performance.dto';
import { PerformanceService } from './performance.service';
import { Granularity, RollupRepository, RollupSums } from './rollup.repository';
import { parseTimeRange } from './time-range';

const DEFAULT_TIME_RANGE = '30d';

/**
 * `GET /api/models/performance` and resets. Current scores, with the number of observations they
 * include, come from memory; trends from the roll-ups (one query for every model listed), never
 * from raw observations, so the cost of a report does not grow with history.
 */
@Injectable()
export class PerformanceReportService {
  constructor(
    private readonly models: ModelsService,
    private readonly performance: PerformanceService,
    private readonly rollups: RollupRepository,
    private readonly clock: Clock,
  ) {}

  async report(query: PerformanceQueryDto): Promise<PerformanceReportView> {
    const models = query.model_id ? [await this.models.find(query.model_id)] : await this.models.findEnabled();
    const { from, granularity } = parseTimeRange(query.time_range ?? DEFAULT_TIME_RANGE, this.clock.now(), query.granularity);
    const buckets = await this.rollups.sums(models.map((m) => m.id), granularity, from, query.task_type);
    // Scores as of every outcome recorded so far (automatic observations are folded in shortly after each request).
    await this.performance.foldPending();
    return { models: models.map((model) => this.modelReport(model, buckets.filter((b) => b.modelId === model.id), granularity, query.task_type)) };
  }

  async reset(dto: ResetPerformanceDto): Promise<ResetResultView> {
    const model = await this.models.find(dto.model_id);
    await this.performance.reset(model.id, dto.task_types ?? null);
    const overall = this.performance.overallFor(model);
    return {
      model_id: model.id,
      task_types: dto.task_types ?? null,
      reset_at: this.clock.now().toISOString(),
      metrics: { overall_quality: overall.quality, success_rate: overall.successRate },
    };
  }

  private modelReport(model: ModelEntity, buckets: RollupSums[], granularity: Granularity, taskType: string | undefined): ModelPerformanceView {
    const overall = this.performance.overallFor(model);
    const taskTypes = taskType ? [taskType] : [...new Set([...this.performance.taskTypesOf(model.id), ...buckets.map((b) => b.taskType)])].sort();
    // No prototype: task types are callers' words (`constructor` is one).
    const taskSpecific = Object.create(null) as Record<string, TaskMetricsView>;
    for (const type of taskTypes) {
      const scores = this.performance.countedScoresFor(model, type);
      taskSpecific[type] = { quality_score: scores.quality, success_rate: scores.successRate, sample_count: scores.sampleCount };
    }
    return {
      model_id: model.id,
      provider: model.provider,
      metrics: { overall_quality: overall.quality, success_rate: overall.successRate, task_specific: taskSpecific },
      trends: trendsOf(buckets, granularity),
    };
  }
}

/** One point per period that has samples, oldest first, combining the task types in the buckets. */
function trendsOf(buckets: RollupSums[], granularity: Granularity): ModelPerformanceView['trends'] {
  const periods = new Map<number, { weight: number; success: number; qualityWeight: number; quality: number }>();
  for (const b of buckets) {
    const p = periods.get(b.periodStart.getTime()) ?? { weight: 0, success: 0, qualityWeight: 0, quality: 0 };
    p.weight += b.weightSum;
    p.success += b.successSum;
    p.qualityWeight += b.qualityWeight;
    p.quality += b.qualitySum;
    periods.set(b.periodStart.getTime(), p);
  }
  const ordered = [...periods.entries()].sort(([a], [b]) => a - b);
  return {
    quality_trend: ordered.map(([, p]) => (p.qualityWeight > 0 ? round(p.quality / p.qualityWeight) : null)),
    success_trend: ordered.map(([, p]) => round(p.weight > 0 ? p.success / p.weight : 0)),
    periods: ordered.map(([start]) => new Date(start).toISOString()),
    granularity,
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
