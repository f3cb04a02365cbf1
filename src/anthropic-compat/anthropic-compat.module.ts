import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { RequestIdMiddleware } from '../common/http/request-id.middleware';
import { InferenceModule } from '../inference/inference.module';
import { ModelsModule } from '../models/models.module';
import { ProvidersModule } from '../providers/providers.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

/** `/v1/messages`: Anthropic's Messages API over the service's own lifecycle. */
@Module({
  imports: [AccessModule, InferenceModule, ModelsModule, ProvidersModule],
  controllers: [MessagesController],
  providers: [MessagesService],
})
export class AnthropicCompatModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware).forRoutes(MessagesController);
  }
}
