import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { ModelsController } from './models.controller';
import { ModelsHandler } from './models.handler';
import { ModelsRepository } from './models.repository';
import { ModelsService } from './models.service';

@Module({
  imports: [ProvidersModule, CircuitBreakerModule],
  controllers: [ModelsController, ModelsHandler],
  providers: [ModelsService, ModelsRepository],
  exports: [ModelsService],
})
export class ModelsModule {}
