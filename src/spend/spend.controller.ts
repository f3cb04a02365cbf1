import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller } from '../access/client-key';
import { CallerOf, ClientAuthGuard } from '../access/client-auth.guard';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { SpendQueryDto, SpendReportView } from './dto/spend.dto';
import { SpendService } from './spend.service';

@ApiTags('spend')
@UseGuards(ClientAuthGuard)
@Controller('api/models/spend')
export class SpendController {
  constructor(private readonly spend: SpendService) {}

  @Get()
  @ApiOperation({
    summary: "The caller's spend",
    description: "A client key's own requests, grouped (docs/keys.md); the admin token, or anyone with CLIENT_AUTH=off, sees everyone's, as GET /api/admin/spend.",
  })
  @ApiOkResponse({ type: SpendReportView })
  @ApiErrorResponses(400, 401)
  report(@Query() query: SpendQueryDto, @CallerOf() caller: Caller): Promise<SpendReportView> {
    return this.spend.report(query, caller);
  }
}
