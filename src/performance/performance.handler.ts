import { MessagePattern, Payload } from '@nestjs/microservices';
import { CommandHandler } from '../common/validation/command-handler.decorator';
import { Command } from '../events/patterns';
import { ResetPerformanceDto, ResetResultView } from './dto/performance.dto';
import { PerformanceReportService } from './performance-report.service';

/** Redis command handlers for performance; the reset works on shared state, so every instance may answer. */
@CommandHandler()
export class PerformanceHandler {
  constructor(private readonly reports: PerformanceReportService) {}

  @MessagePattern(Command.ResetPerformance)
  reset(@Payload() dto: ResetPerformanceDto): Promise<ResetResultView> {
    return this.reports.reset(dto);
  }
}
