import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import { SecretBox } from '../common/crypto/secret-box';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { LocalAdapter } from './local/local.adapter';
import { ModelFiles } from './local/model-files';
import { OllamaAdapter } from './ollama/ollama.adapter';
import { OpenAiAdapter } from './openai/openai.adapter';
import { ModelEndpoint, ProviderAdapter, ProviderKind, ProviderTarget } from './provider.types';
import { ProviderError } from './provider-error';
import { TokenEstimator } from './token-estimator';

/** A sealed key this instance cannot open. */
const UNREADABLE = Symbol('unreadable key');

export type Resolution = { available: true; target: ProviderTarget } | { available: false; reason: string };

/**
 * Turns a registry entry into a callable target: credentials from the model's sealed key first,
 * then the environment; a model that cannot be called (no key, no endpoint, no model file) is
 * unavailable and is never called.
 */
@Injectable()
export class ProvidersService implements OnApplicationShutdown {
  private readonly adapters: Record<ProviderKind, ProviderAdapter>;
  private readonly logger = new Logger(ProvidersService.name);
  private readonly openedKeys = new Map<string, string | typeof UNREADABLE>();
  private readonly files = new ModelFiles();

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly secrets: SecretBox,
    openai: OpenAiAdapter,
    anthropic: AnthropicAdapter,
    ollama: OllamaAdapter,
    local: LocalAdapter,
    private readonly tokens: TokenEstimator,
  ) {
    this.adapters = { openai, anthropic, ollama, local };
  }

  adapter(kind: ProviderKind): ProviderAdapter {
    return this.adapters[kind];
  }

  onApplicationShutdown(): void {
    this.files.close();
  }

  /** Checks the files of the registry's local models, so routing knows without touching the disk; after each reload. */
  trackModelFiles(models: ModelEndpoint[]): Promise<void> {
    return this.files.track(models.flatMap((model) => this.modelFileOf(model)?.path ?? []));
  }

  /** Tokens of a text for a model: its own tokenizer where the adapter has one, else the estimator. */
  async countTokens(model: ModelEndpoint, target: ProviderTarget, text: string): Promise<number> {
    const adapter = this.adapters[model.provider];
    if (adapter.countTokens) {
      try {
        return await adapter.countTokens(target, text);
      } catch (error) {
        // A model file that will not load cannot count either: the estimate decides, and calling the model then fails over.
        if (!(error instanceof ProviderError)) throw error;
      }
    }
    return this.tokens.count(target.providerModel, text);
  }

  /** Which tokenizer `countTokens` uses for a model: models that name the same one count a text alike. */
  tokenizerOf(model: ModelEndpoint, target: ProviderTarget): string {
    if (!this.adapters[model.provider].countTokens) return this.tokens.encodingFor(target.providerModel);
    // A local model's tokenizer is its GGUF file's; other adapters with their own are asked per model.
    const file = target.options.model_path;
    return typeof file === 'string' ? `${model.provider}:${file}` : `${model.provider}:${model.id}`;
  }

  resolve(model: ModelEndpoint): Resolution {
    const sealedKey = this.apiKey(model);
    if (sealedKey === UNREADABLE) return unavailable('its API key cannot be opened with this ENCRYPTION_KEY: register configuration.api_key again');
    const options = model.settings.options ?? {};
    const base = {
      modelId: model.id,
      providerModel: typeof options.model === 'string' ? options.model : model.id,
      options,
    };
    const defaults = this.config.providers;
    switch (model.provider) {
      case 'openai': {
        const apiKey = sealedKey ?? defaults.openai.apiKey;
        const baseUrl = model.settings.api_url ?? defaults.openai.baseUrl;
        // A self-hosted OpenAI-compatible server often needs no key; api.openai.com always does.
        if (!apiKey && !baseUrl) return unavailable('no API key: set OPENAI_API_KEY or register configuration.api_key');
        return { available: true, target: { ...base, apiKey, baseUrl } };
      }
      case 'anthropic': {
        const apiKey = sealedKey ?? defaults.anthropic.apiKey;
        if (!apiKey) return unavailable('no API key: set ANTHROPIC_API_KEY or register configuration.api_key');
        return { available: true, target: { ...base, apiKey, baseUrl: model.settings.api_url ?? defaults.anthropic.baseUrl } };
      }
      case 'ollama': {
        const baseUrl = model.settings.api_url ?? defaults.ollama.baseUrl;
        if (!baseUrl) return unavailable('no Ollama server: set OLLAMA_BASE_URL or register configuration.api_url');
        return { available: true, target: { ...base, apiKey: sealedKey, baseUrl } };
      }
      case 'local': {
        const file = this.modelFileOf(model);
        if (!file) return unavailable('no model file: LOCAL_MODEL_PATH is none; set it or register options.model_path');
        const exists = this.files.exists(file.path);
        if (exists === undefined) return unavailable(`model file not checked yet: ${file.configured}`);
        if (!exists) return unavailable(`model file not found: ${file.configured}`);
        // The context each sequence gets is the registered context length unless the options say otherwise.
        const localOptions = { context_size: model.contextLength, ...options, model_path: file.path };
        return { available: true, target: { ...base, options: localOptions, apiKey: null, baseUrl: null } };
      }
    }
  }

  /** A local model's file as registered (or LOCAL_MODEL_PATH) and as an absolute path; null for other providers or none. */
  private modelFileOf(model: ModelEndpoint): { configured: string; path: string } | null {
    if (model.provider !== 'local') return null;
    const option = model.settings.options?.model_path;
    const configured = typeof option === 'string' ? option : this.config.providers.local.modelPath;
    return configured ? { configured, path: resolve(configured) } : null;
  }

  /**
   * The model's own key, opened once. A key sealed under another ENCRYPTION_KEY (the operator
   * changed it) makes only that model unavailable, with a warning, instead of failing every request
   * that considers it.
   */
  private apiKey(model: ModelEndpoint): string | null | typeof UNREADABLE {
    const sealed = model.apiKeySealed;
    if (!sealed) return null;
    let key = this.openedKeys.get(sealed);
    if (key === undefined) {
      try {
        key = this.secrets.open(sealed);
      } catch {
        key = UNREADABLE;
        this.logger.warn(`The API key of model ${model.id} cannot be opened with this ENCRYPTION_KEY; the model is unavailable until its key is registered again`);
      }
      this.openedKeys.set(sealed, key);
    }
    return key;
  }
}

function unavailable(reason: string): Resolution {
  return { available: false, reason };
}
