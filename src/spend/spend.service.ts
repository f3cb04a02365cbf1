import { Injectable } from '@nestjs/common';
import { Caller } from '../access/client-key';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { parseTimeRange } from '../performance/time-range';
import { SpendQueryDto, SpendReportView } from './dto/spend.dto';
import { SpendRepository } from './spend.repository';

const DEFAULT_RANGE = '30d';
const DAY_MS = 24 * 60 * 60 * 1000;

/** Who spent what (docs/keys.md, "Spend"): the operator sees every key, a key its own requests. */
@Injectable()
export class SpendService {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly spend: SpendRepository,
    private readonly clock: Clock,
  ) {}

  async report(query: SpendQueryDto, caller: Caller): Promise<SpendReportView> {
    const groupBy = query.group_by ?? 'key';
    const timeRange = query.time_range ?? DEFAULT_RANGE;
    const now = this.clock.now();
    const from = this.fromOf(parseTimeRange(timeRange, now).from, now);
    const lines = await this.spend.report(groupBy, from, caller.kind === 'key' ? caller.key.id : undefined);
    const total = lines.reduce((sum, line) => sum + line.cost, 0);
    return { group_by: groupBy, time_range: timeRange, from: from.toISOString(), lines, total_cost: Math.round(total * 1e10) / 1e10 };
  }

  /**
   * Where a report starts. Past REQUEST_RETENTION_DAYS the request rows are gone and only whole
   * days' roll-ups remain, so a range reaching that far starts at the UTC midnight before it.
   */
  private fromOf(from: Date, now: Date): Date {
    if (from.getTime() >= now.getTime() - this.config.retention.days * DAY_MS) return from;
    return new Date(Math.floor(from.getTime() / DAY_MS) * DAY_MS);
  }
}
