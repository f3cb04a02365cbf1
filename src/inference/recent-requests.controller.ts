import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { RecentRequestListView, RecentRequestsQueryDto } from './dto/recent-requests.dto';
import { RecentRequestsService } from './recent-requests.service';

/** Beside `GET /api/models/requests/{id}` (InferenceController): a path without an id never matches that route. */
@ApiTags('inference')
@Controller('api/models/requests')
export class RecentRequestsController {
  constructor(private readonly recent: RecentRequestsService) {}

  @Get()
  @ApiOperation({
    summary: 'Recent failed requests and fallbacks',
    description: 'Newest first: requests that failed, and requests that completed after a model failed (a non-empty fallback trail).',
  })
  @ApiOkResponse({ type: RecentRequestListView })
  @ApiErrorResponses(400)
  list(@Query() query: RecentRequestsQueryDto): Promise<RecentRequestListView> {
    return this.recent.failuresAndFallbacks(query);
  }
}
