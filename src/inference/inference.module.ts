import { AccessModule } from '../access/access.module';
import { BullModule } from '@nestjs/bullmq';
import { CacheModule } from '../cache/cache.module';
import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { RequestIdMiddleware } from '../common/http/request-id.middleware';
import { EventsModule } from '../events/events.module';
import { InstancesModule } from '../instances/instances.module';
import { PerformanceModule } from '../performance/performance.module';
import { ProvidersModule } from '../providers/providers.module';
import { QueueName } from '../queue/queue-names';
import { RoutingModule } from '../routing/routing.module';
import { CachedAnswers } from './cached-answers.service';
import { CancellationService } from './cancellation.service';
import { InFlightRegistry } from './in-flight.registry';
import { InferenceController } from './inference.controller';
import { InferenceHandler } from './inference.handler';
import { InferenceProcessor } from './inference.processor';
import { InferenceRepository } from './inference.repository';
import { InferenceService } from './inference.service';
import { OrphanReclaimer } from './orphan-reclaimer.service';
import { OutcomeRecorder } from './outcome-recorder.service';
import { QueuedRequestsService } from './queued-requests.service';
import { RecentRequestsController } from './recent-requests.controller';
import { RecentRequestsService } from './recent-requests.service';

@Module({
  imports: [AccessModule, 
    RoutingModule,
    ProvidersModule,
    EventsModule,
    PerformanceModule,
    InstancesModule,
    CacheModule,
    BullModule.registerQueue({ name: QueueName.Inference }),
  ],
  controllers: [InferenceController, RecentRequestsController, InferenceHandler],
  providers: [
    InferenceService,
    CachedAnswers,
    QueuedRequestsService,
    OutcomeRecorder,
    OrphanReclaimer,
    InferenceRepository,
    InFlightRegistry,
    CancellationService,
    InferenceProcessor,
    RecentRequestsService,
  ],
  exports: [InferenceService, CancellationService],
})
export class InferenceModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware).forRoutes('api/models/completion', 'api/models/chat');
  }
}
