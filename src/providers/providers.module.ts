import { Module } from '@nestjs/common';
import { SecretBox } from '../common/crypto/secret-box';
import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { LocalAdapter } from './local/local.adapter';
import { OllamaAdapter } from './ollama/ollama.adapter';
import { OpenAiAdapter } from './openai/openai.adapter';
import { ProvidersService } from './providers.service';
import { TokenEstimator } from './token-estimator';

@Module({
  providers: [ProvidersService, TokenEstimator, SecretBox, OpenAiAdapter, AnthropicAdapter, OllamaAdapter, LocalAdapter],
  exports: [ProvidersService, TokenEstimator, SecretBox],
})
export class ProvidersModule {}
