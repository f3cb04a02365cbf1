import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { CancellationService, CancelResult } from '../inference/cancellation.service';
import { CancelPathDto, CancelResultView } from '../inference/dto/cancel-request.dto';
import { ModelView } from '../models/dto/model.dto';
import { RegisterModelDto } from '../models/dto/register-model.dto';
import { ModelsService } from '../models/models.service';
import { ResetPerformanceDto, ResetResultView } from '../performance/dto/performance.dto';
import { PerformanceReportService } from '../performance/performance-report.service';
import { RollupProcessor } from '../performance/rollup.processor';
import { AdminTokenGuard } from './admin-token.guard';

/** HTTP mirrors of the Redis commands; each calls the same service method as its command handler. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@ApiErrorResponses(401, 403, 415)
@Controller('api/admin')
export class AdminController {
  constructor(
    private readonly models: ModelsService,
    private readonly reports: PerformanceReportService,
    private readonly rollups: RollupProcessor,
    private readonly cancellation: CancellationService,
  ) {}

  @Post('models')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register or update a model (same body as the model.register command)' })
  @ApiOkResponse({ type: ModelView })
  @ApiErrorResponses(400)
  register(@Body() dto: RegisterModelDto): Promise<ModelView> {
    return this.models.register(dto);
  }

  @Post('performance/reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reset performance metrics of a model (same body as the model.performance.reset command)' })
  @ApiOkResponse({ type: ResetResultView })
  @ApiErrorResponses(400, 404)
  resetPerformance(@Body() dto: ResetPerformanceDto): Promise<ResetResultView> {
    return this.reports.reset(dto);
  }

  @Post('requests/:id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel an in-progress request on whichever instance runs it (same as the model.request.cancel command)' })
  @ApiOkResponse({ type: CancelResultView })
  @ApiErrorResponses(400, 404, 409)
  cancelRequest(@Param() params: CancelPathDto): Promise<CancelResult> {
    return this.cancellation.cancel(params.id);
  }

  @Post('performance/rollup')
  @HttpCode(200)
  @ApiOperation({ summary: 'Roll observations up into daily, weekly and monthly buckets now, and wait for it' })
  @ApiOkResponse({ schema: { type: 'object', properties: { buckets: { type: 'integer', example: 12 } } } })
  async rollUp(): Promise<{ buckets: number }> {
    return { buckets: await this.rollups.runNow() };
  }
}
