import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { Caller } from '../access/client-key';
import { CallerOf, ClientAuthGuard } from '../access/client-auth.guard';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { RecentRequestListView, RecentRequestsQueryDto } from './dto/recent-requests.dto';
import { RecentRequestsService } from './recent-requests.service';

/** Beside `GET /api/models/requests/{id}` (InferenceController): a path without an id never matches that route. */
@ApiTags('inference')
@UseGuards(ClientAuthGuard)
@Controller('api/models/requests')
export class RecentRequestsController {
  constructor(private readonly recent: RecentRequestsService) {}

  @Get()
  @ApiOperation({
    summary: 'Recent failed requests and fallbacks',
    description:
      'Newest first: requests that failed, and requests that completed after a model failed (a non-empty fallback trail). ' +
      'With client keys on (CLIENT_AUTH=keys), a key sees its own requests and the admin token all of them.',
  })
  @ApiOkResponse({ type: RecentRequestListView })
  @ApiErrorResponses(400, 401)
  list(@Query() query: RecentRequestsQueryDto, @CallerOf() caller: Caller): Promise<RecentRequestListView> {
    return this.recent.failuresAndFallbacks(query, caller);
  }
}
