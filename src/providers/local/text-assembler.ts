import type { LlamaModel, Token } from 'node-llama-cpp';

const INCOMPLETE_CHARACTER = '\uFFFD';
const MAX_TOKENS_PER_CHARACTER = 4;

/**
 * Turns sampled tokens into text deltas. A token is decoded after the ones before it (the
 * tokenizer's spacing depends on them), and a character whose UTF-8 bytes span several tokens
 * waits until it is complete.
 */
export class TextAssembler {
  private readonly decoded: Token[];
  private pending: Token[] = [];
  private trimLeadingWhitespace: boolean;

  constructor(
    private readonly model: LlamaModel,
    prompt: readonly Token[],
    options: TextOptions,
  ) {
    this.decoded = [...prompt];
    this.trimLeadingWhitespace = options.trimLeadingWhitespace;
  }

  add(token: Token): string {
    this.pending.push(token);
    const text = this.model.detokenize(this.pending, false, this.decoded);
    if (text.endsWith(INCOMPLETE_CHARACTER) && this.pending.length < MAX_TOKENS_PER_CHARACTER) return '';
    return this.take(text);
  }

  flush(): string {
    return this.pending.length > 0 ? this.take(this.model.detokenize(this.pending, false, this.decoded)) : '';
  }

  private take(text: string): string {
    this.decoded.push(...this.pending);
    this.pending = [];
    let delta = text;
    if (this.trimLeadingWhitespace) {
      delta = delta.trimStart();
      this.trimLeadingWhitespace = delta === '';
    }
    return delta;
  }
}


export interface TextOptions {
  /** Chat replies drop the space the model writes after `Assistant:`. */
  trimLeadingWhitespace: boolean;
}
