import { Injectable } from '@nestjs/common';
import { Caller } from '../access/client-key';
import { Clock } from '../common/clock';
import { parseTimeRange } from '../performance/time-range';
import { SpendQueryDto, SpendReportView } from './dto/spend.dto';
import { SpendRepository } from './spend.repository';

const DEFAULT_RANGE = '30d';

/** Who spent what (docs/keys.md, "Spend"): the operator sees every key, a key its own requests. */
@Injectable()
export class SpendService {
  constructor(
    private readonly spend: SpendRepository,
    private readonly clock: Clock,
  ) {}

  async report(query: SpendQueryDto, caller: Caller): Promise<SpendReportView> {
    const groupBy = query.group_by ?? 'key';
    const timeRange = query.time_range ?? DEFAULT_RANGE;
    const { from } = parseTimeRange(timeRange, this.clock.now());
    const lines = await this.spend.report(groupBy, from, caller.kind === 'key' ? caller.key.id : undefined);
    const total = lines.reduce((sum, line) => sum + line.cost, 0);
    return { group_by: groupBy, time_range: timeRange, from: from.toISOString(), lines, total_cost: Math.round(total * 1e10) / 1e10 };
  }
}
