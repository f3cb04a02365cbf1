import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { InferenceModule } from '../inference/inference.module';
import { ModelsModule } from '../models/models.module';
import { ClientApiKeyGuard } from './client-api-key.guard';
import { OpenAiCompatController } from './openai-compat.controller';
import { OpenAiCompatService } from './openai-compat.service';
import { OpenAiRequestIdMiddleware } from './openai-request-id.middleware';

/** `/v1`: OpenAI's API (chat, completions, embeddings, models) over the service's own lifecycle. */
@Module({
  imports: [InferenceModule, EmbeddingsModule, ModelsModule],
  controllers: [OpenAiCompatController],
  providers: [OpenAiCompatService, ClientApiKeyGuard],
})
export class OpenAiCompatModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(OpenAiRequestIdMiddleware).forRoutes(OpenAiCompatController);
  }
}
