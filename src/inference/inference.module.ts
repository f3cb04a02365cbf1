import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { RequestIdMiddleware } from '../common/http/request-id.middleware';
import { EventsModule } from '../events/events.module';
import { ProvidersModule } from '../providers/providers.module';
import { RoutingModule } from '../routing/routing.module';
import { InferenceController } from './inference.controller';
import { InferenceRepository } from './inference.repository';
import { InferenceService } from './inference.service';

@Module({
  imports: [RoutingModule, ProvidersModule, EventsModule],
  controllers: [InferenceController],
  providers: [InferenceService, InferenceRepository],
})
export class InferenceModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware).forRoutes('api/models/completion', 'api/models/chat');
  }
}
