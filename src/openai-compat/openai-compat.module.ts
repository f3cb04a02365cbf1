import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { RequestIdMiddleware } from '../common/http/request-id.middleware';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { InferenceModule } from '../inference/inference.module';
import { ModelsModule } from '../models/models.module';
import { AccessModule } from '../access/access.module';
import { OpenAiCompatController } from './openai-compat.controller';
import { OpenAiCompatService } from './openai-compat.service';

/** `/v1`: OpenAI's API (chat, completions, embeddings, models) over the service's own lifecycle. */
@Module({
  imports: [AccessModule, InferenceModule, EmbeddingsModule, ModelsModule],
  controllers: [OpenAiCompatController],
  providers: [OpenAiCompatService],
})
export class OpenAiCompatModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware).forRoutes(OpenAiCompatController);
  }
}
