import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { sendAnthropicError } from './anthropic-compat/anthropic-error';
import { AppModule } from './app.module';
import { ErrorFilter } from './common/filters/error.filter';
import { useJsonBodies } from './common/http/json-body';
import { createAppLogger } from './common/logging/app-logger';
import { requestLogging } from './common/logging/request-logging.middleware';
import { createValidationPipe } from './common/validation/validation';
import { cacheValidationRules } from './common/validation/validation-rules-cache';
import { AppConfig } from './config/app-config';
import { ChannelPrefixedRedisServer } from './redis/channel-prefix';
import { sendOpenAiError } from './openai-compat/openai-error';

/**
 * Builds the hybrid app (HTTP + Nest's Redis transport) exactly as production runs it;
 * `main.ts` and the e2e tests both start it through here. Everything Nest and our code log goes
 * through one logger (structured JSON by default, see `common/logging`); the request-logging
 * middleware comes first, so the rest of each request, body parsing included, runs in its context.
 * Errors are answered in the SPEC's shape, except under `/v1`, which promises OpenAI's, and under
 * `/v1/messages`, Anthropic's.
 */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const logger = createAppLogger(config);
  cacheValidationRules();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger, bodyParser: false });
  app.use(requestLogging(logger));
  useJsonBodies(app, config.bodyLimit);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter({ '/v1': sendOpenAiError, '/v1/messages': sendAnthropicError }));

  const redisTransport = new ChannelPrefixedRedisServer({ ...config.redis, retryAttempts: Infinity, retryDelay: 1000 }, config.redisChannelPrefix);
  app.connectMicroservice<MicroserviceOptions>({ strategy: redisTransport }, { inheritAppConfig: true });

  setUpSwagger(app);
  return app;
}

function setUpSwagger(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Model Orchestration Service')
      .setDescription(
        'One API in front of many LLM providers. Errors share one shape: `{ "error": { "code", "message", "details" } }` ' +
          '(under `/v1`, OpenAI\'s: `{ "error": { "message", "type", "param", "code" } }`). ' +
          'Redis commands (Nest Redis transport): `model.register`, `model.performance.reset`, `model.request.cancel`.',
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
