import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { SpendModule } from '../spend/spend.module';
import { InferenceModule } from '../inference/inference.module';
import { ModelsModule } from '../models/models.module';
import { PerformanceModule } from '../performance/performance.module';
import { AdminTokenGuard } from './admin-token.guard';
import { AdminController } from './admin.controller';
import { ClientKeysController } from './client-keys.controller';
import { ClientKeysHandler } from './client-keys.handler';
import { ModelAliasesController } from './model-aliases.controller';

@Module({
  imports: [AccessModule, SpendModule, ModelsModule, PerformanceModule, InferenceModule],
  controllers: [AdminController, ModelAliasesController, ClientKeysController, ClientKeysHandler],
  providers: [AdminTokenGuard],
})
export class AdminModule {}
