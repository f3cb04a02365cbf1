import { Injectable } from '@nestjs/common';
import cl100k_base from 'js-tiktoken/ranks/cl100k_base';
import o200k_base from 'js-tiktoken/ranks/o200k_base';
import { BpeCounter, BpeRanksFile } from './bpe-counter';

export type Encoding = 'o200k_base' | 'cl100k_base';

/** OpenAI's newer families use o200k; older ones, embeddings and non-OpenAI models are estimated with cl100k. */
const O200K_MODELS = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|chatgpt-4o)/;

/**
 * Token counts for prompts where a provider reports none, and for checking that a prompt fits a
 * model's context before calling it. OpenAI-family models get their real tokenizer; other
 * hosted models are estimated with cl100k_base (close for Claude and Llama-family text, and
 * documented as an estimate). Local models are counted by their own tokenizer in the local adapter.
 * Counting takes time linear in the text and yields to other requests every couple of thousand
 * characters (see `BpeCounter`).
 */
@Injectable()
export class TokenEstimator {
  private readonly counters = new Map<Encoding, Promise<BpeCounter>>();

  encodingFor(providerModel: string): Encoding {
    return O200K_MODELS.test(providerModel) ? 'o200k_base' : 'cl100k_base';
  }

  async count(providerModel: string, text: string): Promise<number> {
    if (text.length === 0) return 0;
    return (await this.counter(this.encodingFor(providerModel))).count(text);
  }

  /** Loads an encoding's vocabulary on first use, once however many counts wait for it. */
  private counter(encoding: Encoding): Promise<BpeCounter> {
    let counter = this.counters.get(encoding);
    if (!counter) {
      counter = BpeCounter.load(RANKS[encoding]);
      this.counters.set(encoding, counter);
    }
    return counter;
  }
}

const RANKS: Record<Encoding, BpeRanksFile> = { o200k_base, cl100k_base };
