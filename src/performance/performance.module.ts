import { AccessModule } from '../access/access.module';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module';
import { QueueName } from '../queue/queue-names';
import { DriftRepository } from './drift.repository';
import { PerformanceReportService } from './performance-report.service';
import { PerformanceController } from './performance.controller';
import { PerformanceHandler } from './performance.handler';
import { PerformanceRepository } from './performance.repository';
import { PerformanceService } from './performance.service';
import { RollupProcessor } from './rollup.processor';
import { RollupRepository } from './rollup.repository';

@Module({
  imports: [AccessModule, ModelsModule, BullModule.registerQueue({ name: QueueName.Performance })],
  controllers: [PerformanceController, PerformanceHandler],
  providers: [PerformanceService, PerformanceReportService, PerformanceRepository, DriftRepository, RollupRepository, RollupProcessor],
  exports: [PerformanceService, PerformanceReportService, RollupProcessor, RollupRepository],
})
export class PerformanceModule {}
