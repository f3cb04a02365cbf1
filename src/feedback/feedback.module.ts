import { AccessModule } from '../access/access.module';
import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { InferenceModule } from '../inference/inference.module';
import { ModelsModule } from '../models/models.module';
import { PerformanceModule } from '../performance/performance.module';
import { FeedbackController } from './feedback.controller';
import { FeedbackRepository } from './feedback.repository';
import { FeedbackService } from './feedback.service';

@Module({
  imports: [AccessModule, InferenceModule, ModelsModule, PerformanceModule, EventsModule],
  controllers: [FeedbackController],
  providers: [FeedbackService, FeedbackRepository],
})
export class FeedbackModule {}
