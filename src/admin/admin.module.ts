import { Module } from '@nestjs/common';
import { InferenceModule } from '../inference/inference.module';
import { ModelsModule } from '../models/models.module';
import { PerformanceModule } from '../performance/performance.module';
import { AdminTokenGuard } from './admin-token.guard';
import { AdminController } from './admin.controller';
import { ModelAliasesController } from './model-aliases.controller';

@Module({
  imports: [ModelsModule, PerformanceModule, InferenceModule],
  controllers: [AdminController, ModelAliasesController],
  providers: [AdminTokenGuard],
})
export class AdminModule {}
