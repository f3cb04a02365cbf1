import { AccessModule } from '../access/access.module';
import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module';
import { PerformanceModule } from '../performance/performance.module';
import { ProvidersModule } from '../providers/providers.module';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { PromptKindsRepository } from './prompt-kinds.repository';
import { PromptKindsService } from './prompt-kinds.service';
import { RandomSource } from './random-source';
import { RoutingController } from './routing.controller';
import { RoutingService } from './routing.service';

@Module({
  imports: [AccessModule, ModelsModule, ProvidersModule, PerformanceModule, CircuitBreakerModule],
  controllers: [RoutingController],
  providers: [RoutingService, RandomSource, PromptKindsService, PromptKindsRepository],
  exports: [RoutingService, PromptKindsService],
})
export class RoutingModule {}
