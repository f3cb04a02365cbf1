import { Module } from '@nestjs/common';
import { SecretBox } from '../common/crypto/secret-box';
import { ModelsController } from './models.controller';
import { ModelsHandler } from './models.handler';
import { ModelsRepository } from './models.repository';
import { ModelsService } from './models.service';

@Module({
  controllers: [ModelsController, ModelsHandler],
  providers: [ModelsService, ModelsRepository, SecretBox],
  exports: [ModelsService],
})
export class ModelsModule {}
