import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { EventsModule } from '../events/events.module';
import { PerformanceModule } from '../performance/performance.module';
import { QueueName } from '../queue/queue-names';
import { RetentionProcessor } from './retention.processor';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

/** The retention job: removes what is past REQUEST_RETENTION_DAYS (see `RetentionService`). */
@Module({
  imports: [AccessModule, EventsModule, PerformanceModule, BullModule.registerQueue({ name: QueueName.Retention })],
  providers: [RetentionService, RetentionRepository, RetentionProcessor],
  exports: [RetentionProcessor],
})
export class RetentionModule {}
