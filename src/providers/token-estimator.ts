import { Injectable } from '@nestjs/common';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k_base from 'js-tiktoken/ranks/cl100k_base';
import o200k_base from 'js-tiktoken/ranks/o200k_base';

type Encoding = 'o200k_base' | 'cl100k_base';

/** OpenAI's newer families use o200k; older ones, embeddings and non-OpenAI models are estimated with cl100k. */
const O200K_MODELS = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|chatgpt-4o)/;

/**
 * Token counts for prompts where a provider reports none, and for checking that a prompt fits a
 * model's context before calling it. OpenAI-family models get their real tokenizer; other
 * hosted models are estimated with cl100k_base (close for Claude and Llama-family text, and
 * documented as an estimate). Local models are counted by their own tokenizer in the local adapter.
 */
@Injectable()
export class TokenEstimator {
  private readonly encoders = new Map<Encoding, Tiktoken>();

  count(providerModel: string, text: string): number {
    if (text.length === 0) return 0;
    return this.encoder(O200K_MODELS.test(providerModel) ? 'o200k_base' : 'cl100k_base').encode(text).length;
  }

  /** Builds an encoder on first use (it takes most of a second), then reuses it. */
  private encoder(encoding: Encoding): Tiktoken {
    let encoder = this.encoders.get(encoding);
    if (!encoder) {
      encoder = new Tiktoken(RANKS[encoding]);
      this.encoders.set(encoding, encoder);
    }
    return encoder;
  }
}

const RANKS: Record<Encoding, ConstructorParameters<typeof Tiktoken>[0]> = { o200k_base, cl100k_base };
