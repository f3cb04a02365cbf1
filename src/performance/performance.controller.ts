import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ClientAuthGuard } from '../access/client-auth.guard';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { PerformanceQueryDto, PerformanceReportView, TaskMetricsView } from './dto/performance.dto';
import { PerformanceReportService } from './performance-report.service';

@ApiTags('performance')
@ApiExtraModels(TaskMetricsView)
@UseGuards(ClientAuthGuard)
@Controller('api/models/performance')
export class PerformanceController {
  constructor(private readonly reports: PerformanceReportService) {}

  @Get()
  @ApiOperation({
    summary: 'Performance metrics for models',
    description: 'Current scores per model and task type, sample counts and trends from the daily/weekly/monthly roll-ups.',
  })
  @ApiOkResponse({ type: PerformanceReportView })
  @ApiErrorResponses(400, 404)
  report(@Query() query: PerformanceQueryDto): Promise<PerformanceReportView> {
    return this.reports.report(query);
  }
}
