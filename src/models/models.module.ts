import { AccessModule } from '../access/access.module';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProvidersModule } from '../providers/providers.module';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { ModelAliasesRepository } from './aliases/model-aliases.repository';
import { ModelAliasesService } from './aliases/model-aliases.service';
import { ModelEntity } from './model.entity';
import { ModelsController } from './models.controller';
import { ModelsHandler } from './models.handler';
import { ModelsRepository } from './models.repository';
import { ModelsService } from './models.service';

@Module({
  imports: [AccessModule, TypeOrmModule.forFeature([ModelEntity]), ProvidersModule, CircuitBreakerModule],
  controllers: [ModelsController, ModelsHandler],
  providers: [ModelsService, ModelsRepository, ModelAliasesService, ModelAliasesRepository],
  exports: [ModelsService, ModelAliasesService],
})
export class ModelsModule {}
