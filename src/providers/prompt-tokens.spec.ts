import { ModelEntity } from '../models/model.entity';
import { PromptTokens } from './prompt-tokens';
import { ProviderTarget } from './provider.types';

/** Models named by id, each counted with the tokenizer its name says (`<tokenizer>/<model>`). */
function modelNamed(id: string): { model: ModelEntity; target: ProviderTarget } {
  return {
    model: { id } as ModelEntity,
    target: { modelId: id, providerModel: id, apiKey: null, baseUrl: null, options: {} },
  };
}

describe('PromptTokens', () => {
  it('counts the text once per tokenizer, however many models share it', async () => {
    const counted: string[] = [];
    const providers = {
      tokenizerOf: (model: ModelEntity) => model.id.split('/')[0],
      countTokens: (model: ModelEntity, _target: ProviderTarget, text: string) => {
        counted.push(model.id);
        return Promise.resolve(text.length);
      },
    };
    const tokens = new PromptTokens(providers, 'twelve chars');

    const counts = await Promise.all(
      ['o200k/gpt-4o', 'o200k/gpt-4.1', 'cl100k/claude', 'o200k/gpt-5', 'local:/models/a.gguf/first', 'cl100k/llama'].map((id) => {
        const { model, target } = modelNamed(id);
        return tokens.count(model, target);
      }),
    );

    expect(counts).toEqual([12, 12, 12, 12, 12, 12]);
    expect(counted).toEqual(['o200k/gpt-4o', 'cl100k/claude', 'local:/models/a.gguf/first']);
  });
});
