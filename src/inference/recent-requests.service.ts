import { Injectable } from '@nestjs/common';
import { DEFAULT_RECENT_LIMIT, RecentRequestListView, RecentRequestsQueryDto, toRecentRequestView } from './dto/recent-requests.dto';
import { InferenceRepository } from './inference.repository';

/** Recent failures and fallbacks, for operators (`GET /api/models/requests`, the performance page). */
@Injectable()
export class RecentRequestsService {
  constructor(private readonly requests: InferenceRepository) {}

  async failuresAndFallbacks(query: RecentRequestsQueryDto): Promise<RecentRequestListView> {
    const rows = await this.requests.findRecentFailuresAndFallbacks(query.outcome, query.limit ?? DEFAULT_RECENT_LIMIT);
    return { requests: rows.map(toRecentRequestView) };
  }
}
