import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { AnthropicCompatModule } from './anthropic-compat/anthropic-compat.module';
import { ClockModule } from './common/clock';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DatabaseModule } from './database/database.module';
import { EmbeddingsModule } from './embeddings/embeddings.module';
import { EventsModule } from './events/events.module';
import { FeedbackModule } from './feedback/feedback.module';
import { HealthModule } from './health/health.module';
import { InferenceModule } from './inference/inference.module';
import { MetricsModule } from './metrics/metrics.module';
import { ModelsModule } from './models/models.module';
import { OpenAiCompatModule } from './openai-compat/openai-compat.module';
import { PerformanceModule } from './performance/performance.module';
import { QueueModule } from './queue/queue.module';
import { RedisModule } from './redis/redis.module';
import { RetentionModule } from './retention/retention.module';
import { SpendModule } from './spend/spend.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        DatabaseModule,
        RedisModule,
        QueueModule,
        MetricsModule,
        EventsModule,
        HealthModule,
        ModelsModule,
        EmbeddingsModule,
        InferenceModule,
        FeedbackModule,
        PerformanceModule,
        RetentionModule,
        SpendModule,
        AdminModule,
        OpenAiCompatModule,
        AnthropicCompatModule,
        DashboardModule,
      ],
    };
  }
}
