import { ModelEndpoint, ProviderTarget } from './provider.types';
import { ProvidersService } from './providers.service';

/**
 * One text's token counts per tokenizer: models that share a tokenizer share one count, so
 * routing counts a prompt once per tokenizer, not once per candidate model.
 */
export class PromptTokens {
  private readonly counts = new Map<string, Promise<number>>();

  constructor(
    private readonly providers: Pick<ProvidersService, 'tokenizerOf' | 'countTokens'>,
    readonly text: string,
  ) {}

  count(model: ModelEndpoint, target: ProviderTarget): Promise<number> {
    const tokenizer = this.providers.tokenizerOf(model, target);
    let count = this.counts.get(tokenizer);
    if (!count) {
      count = this.providers.countTokens(model, target, this.text);
      this.counts.set(tokenizer, count);
    }
    return count;
  }
}
