import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module';
import { PerformanceModule } from '../performance/performance.module';
import { ProvidersModule } from '../providers/providers.module';
import { RoutingService } from './routing.service';

@Module({
  imports: [ModelsModule, ProvidersModule, PerformanceModule],
  providers: [RoutingService],
  exports: [RoutingService],
})
export class RoutingModule {}
