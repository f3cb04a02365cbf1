import { Injectable } from '@nestjs/common';
import { Caller, mayAccess } from '../access/client-key';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { RequestStatusView } from './dto/request-status.view';
import { DEFAULT_RECENT_LIMIT, RecentRequestListView, RecentRequestsQueryDto, toRecentRequestView } from './dto/recent-requests.dto';
import { InferenceRepository } from './inference.repository';

/** Reads of recorded requests: one by id, and recent failures and fallbacks for operators (`GET /api/models/requests`, the performance page). */
@Injectable()
export class RecentRequestsService {
  constructor(private readonly requests: InferenceRepository) {}

  /** Where a request stands: 404 when unknown, or another key's. */
  async status(requestId: string, caller: Caller): Promise<RequestStatusView> {
    const row = await this.requests.findById(requestId);
    if (!row || !mayAccess(caller, row.clientKey)) throw new DomainError(ErrorCode.NotFound, `Unknown request_id "${requestId}"`, { request_id: requestId });
    return {
      completion_id: row.id,
      status: row.status,
      created_at: row.createdAt.toISOString(),
      completed_at: row.completedAt?.toISOString() ?? null,
      result: row.response,
      error: row.error,
    };
  }

  /** A key sees its own requests only; the operator (and anyone, with CLIENT_AUTH=off) sees all. */
  async failuresAndFallbacks(query: RecentRequestsQueryDto, caller: Caller): Promise<RecentRequestListView> {
    const clientKey = caller.kind === 'key' ? caller.key.id : undefined;
    const rows = await this.requests.findRecentFailuresAndFallbacks(query.outcome, query.limit ?? DEFAULT_RECENT_LIMIT, clientKey);
    return { requests: rows.map(toRecentRequestView) };
  }
}
