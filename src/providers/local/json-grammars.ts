import { createHash } from 'node:crypto';
import type { GbnfJsonSchema, LlamaGrammar, LlamaGrammarEvaluationState, LlamaModel } from 'node-llama-cpp';
import { ProviderError, ProviderErrorCode } from '../provider-error';
import { errorMessage, importNodeLlamaCpp } from './node-llama-cpp';

/** Building a grammar takes milliseconds to tens of them for a large schema; callers tend to send the same few. */
const MAX_CACHED = 32;

/** What constrains one generation to JSON. */
export interface JsonConstraint {
  /** Fed each sampled token by llama.cpp's sampler; one per generation. */
  state: LlamaGrammarEvaluationState;
  /**
   * Text that ends the generation, not part of the answer: node-llama-cpp's JSON grammars make the
   * model write four newlines after the value (then any number), since a grammar alone cannot make
   * a model stop.
   */
  stops: string[];
}

/**
 * JSON Schema grammars (`grammarSchema`'s output) built once per schema and model runtime, the
 * most recently used kept. A schema the builder fails on is a bad request, and is not kept.
 */
export class JsonGrammars {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  async constraint(model: LlamaModel, schema: GbnfJsonSchema): Promise<JsonConstraint> {
    const grammar = await this.grammar(model, schema);
    const { LlamaGrammarEvaluationState } = await importNodeLlamaCpp();
    return {
      state: new LlamaGrammarEvaluationState({ model, grammar }),
      stops: grammar.stopGenerationTriggers.filter((trigger) => !Array.isArray(trigger)).map(String),
    };
  }

  private grammar(model: LlamaModel, schema: GbnfJsonSchema): Promise<LlamaGrammar> {
    const key = createHash('sha256').update(JSON.stringify(schema)).digest('base64');
    let grammar = this.grammars.get(key);
    // Least recently used goes first: re-inserting moves this one to the end.
    this.grammars.delete(key);
    grammar ??= model.llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema).catch((error: unknown) => {
      this.grammars.delete(key);
      throw new ProviderError(ProviderErrorCode.BadRequest, `The JSON schema cannot be turned into a grammar: ${errorMessage(error)}`);
    });
    this.grammars.set(key, grammar);
    if (this.grammars.size > MAX_CACHED) this.grammars.delete(this.grammars.keys().next().value!);
    return grammar;
  }
}
