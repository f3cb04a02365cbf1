import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { GbnfJsonSchema, LlamaModel, Token } from 'node-llama-cpp';
import { CallSignal } from '../call-signal';
import { ProviderError, ProviderErrorCode } from '../provider-error';
import {
  CallControl,
  ChatCall,
  CompletionCall,
  EmbeddingCall,
  EmbeddingResult,
  GenerationChunk,
  GenerationParams,
  GenerationResult,
  ProviderAdapter,
  ProviderTarget,
} from '../provider.types';
import { textWindows } from '../text-windows';
import { JsonGrammars } from './json-grammars';
import { chatPlan } from './local-chat';
import { abortedCallError, LocalModelPool, LocalModelSettings } from './local-model-pool';
import { asToolCall } from './local-tools';
import { errorMessage } from './node-llama-cpp';
import { TextOptions } from './text-assembler';
import { sample, throwIfAborted } from './token-loop';

/** Per sequence; small enough to keep memory and prompt evaluation modest on a CPU. */
const DEFAULT_CONTEXT_SIZE = 1024;
/** More threads than this only add synchronisation overhead for small models on small machines. */
const DEFAULT_THREADS = 1;
const DEFAULT_SEQUENCES = 2;
/** Characters tokenized in one go when counting: a few milliseconds of llama.cpp's tokenizer. */
const COUNT_WINDOW_CHARS = 8192;

/**
 * GGUF models run in-process with node-llama-cpp (llama.cpp on the CPU).
 *
 * `target.options` it reads: `model_path` (required, the GGUF file), `context_size` (tokens per
 * request, prompt included; default 1024), `threads` (default 1), `parallel` (requests generated
 * at once per model, default 2; more wait in line).
 *
 * Generation is our own token loop over `LlamaContextSequence.evaluateWithMetadata` rather than
 * `LlamaCompletion`: only that lower-level API reports each sampled token's probability, which
 * gives a real confidence. Temperature 0 (the default) is greedy decoding; `topP`, `seed` and the
 * presence and frequency penalties go to llama.cpp's sampler (see `token-loop`). Generation stops
 * on an end-of-generation token or a `stop` sequence (`stop`, the sequence not included), or at
 * `maxTokens` or the end of the context (`length`); the context is never shifted.
 *
 * Chat does not use the model's chat template: the messages become a plain transcript (see
 * `local-chat`), which any model, even one without a template, can continue. Structured output
 * (`responseFormat` JSON) and forced tool calls (see `local-tools`) are generated under a grammar
 * built from the JSON schema, so the answer is JSON of that form unless `maxTokens` or the
 * context (`length`) or a `stop` sequence cuts it short. Images are refused.
 */
@Injectable()
export class LocalAdapter implements ProviderAdapter, OnApplicationShutdown {
  readonly kind = 'local';
  readonly supportsDimensions = false;

  private readonly pool = new LocalModelPool();
  private readonly grammars = new JsonGrammars();

  chat(target: ProviderTarget, call: ChatCall): Promise<GenerationResult> {
    return resultOf(this.streamChat(target, call));
  }

  complete(target: ProviderTarget, call: CompletionCall): Promise<GenerationResult> {
    return resultOf(this.streamComplete(target, call));
  }

  async *streamChat(target: ProviderTarget, call: ChatCall): AsyncGenerator<GenerationChunk> {
    const plan = chatPlan(call);
    const chunks = this.generate(target, call, { prompt: plan.prompt, schema: plan.schema, output: { trimLeadingWhitespace: true } });
    yield* plan.tools ? asToolCall(chunks, plan.tools) : chunks;
  }

  streamComplete(target: ProviderTarget, call: CompletionCall): AsyncIterable<GenerationChunk> {
    return this.generate(target, call, { prompt: call.prompt, schema: null, output: { trimLeadingWhitespace: false } });
  }

  async embed(target: ProviderTarget, call: EmbeddingCall): Promise<EmbeddingResult> {
    const callSignal = new CallSignal(call);
    try {
      const settings = settingsOf(target);
      const context = await untilAborted(this.pool.embeddingContext(settings), callSignal);
      const embeddings: number[][] = [];
      let promptTokens = 0;
      for (const text of call.texts) {
        throwIfAborted(callSignal);
        const length = context.calculateInputLength(text);
        if (length >= settings.contextSize) throw tooLong(length, settings.contextSize);
        const embedding = await context.getEmbeddingFor(text);
        embeddings.push([...embedding.vector]);
        promptTokens += length;
      }
      return { embeddings, usage: { promptTokens } };
    } catch (error) {
      throw localError(error, callSignal);
    } finally {
      callSignal.dispose();
    }
  }

  /** Tokens of the text alone, as the model's tokenizer splits it (no beginning-of-sequence token); see `tokenCount`. */
  async countTokens(target: ProviderTarget, text: string): Promise<number> {
    const model = await this.pool.model(settingsOf(target).path);
    return (await tokenCount(model, text)).tokens;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.dispose();
  }

  /**
   * A pull-based stream: the next token is only evaluated when the consumer asks for more, so a
   * slow reader holds its sequence but costs no CPU, and a cancelled one stops generation at once.
   */
  private async *generate(
    target: ProviderTarget,
    call: CallControl & GenerationParams,
    { prompt, schema, output }: Generation,
  ): AsyncGenerator<GenerationChunk> {
    const callSignal = new CallSignal(call);
    try {
      const settings = settingsOf(target);
      const sequences = await untilAborted(this.pool.sequences(settings), callSignal);
      const input = await promptTokens(sequences.model, prompt, sequences.context.contextSize);
      const limit = generationLimit(input.length, sequences.context.contextSize, call.maxTokens);
      const json = schema ? await untilAborted(this.grammars.constraint(sequences.model, schema), callSignal) : null;
      const sequence = await sequences.acquire(callSignal);
      try {
        yield* sample(sequence, input, { limit, call, callSignal, output, json });
      } finally {
        sequences.release(sequence);
      }
    } catch (error) {
      throw localError(error, callSignal);
    } finally {
      callSignal.dispose();
    }
  }
}

interface Generation {
  prompt: string;
  /** The JSON the answer must be, or null for free text. */
  schema: GbnfJsonSchema | null;
  output: TextOptions;
}

/**
 * The text's tokens counted a window at a time (`textWindows`), yielding to other requests in
 * between: llama.cpp's tokenizer is synchronous and takes ~0.5 us a character, so a 200 KB text in
 * one call would hold the event loop for 100 ms. Each window may count a token more than the whole
 * text would (a tokenizer that prefixes a space does so per call); a text of one window is exact.
 */
async function tokenCount(model: LlamaModel, text: string): Promise<{ tokens: number; windows: number }> {
  let tokens = 0;
  let windows = 0;
  for (const window of textWindows(text, COUNT_WINDOW_CHARS)) {
    if (windows++ > 0) await nextTurn();
    tokens += model.tokenize(window).length;
  }
  return { tokens, windows };
}

/**
 * The prompt as fed to the model: the beginning-of-sequence token where the model wants one, then
 * the text. A prompt longer than one window is first counted window by window, so one far too long
 * for the context is refused without tokenizing it in one blocking call.
 */
async function promptTokens(model: LlamaModel, prompt: string, contextSize: number): Promise<Token[]> {
  if (prompt.length > COUNT_WINDOW_CHARS) {
    const { tokens, windows } = await tokenCount(model, prompt);
    // Less the token each window may have added, so a prompt that fits is never refused here.
    if (tokens - windows >= contextSize) throw tooLong(tokens, contextSize);
  }
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  const tokens = [...(bos === null ? [] : [bos]), ...model.tokenize(prompt)];
  if (tokens.length === 0) throw new ProviderError(ProviderErrorCode.BadRequest, 'The prompt is empty');
  return tokens;
}

/** Tokens the model may generate: `maxTokens`, and never past the end of the context. */
function generationLimit(promptLength: number, contextSize: number, maxTokens: number | undefined): number {
  const room = contextSize - promptLength;
  if (room <= 0) throw tooLong(promptLength, contextSize);
  return Math.min(room, maxTokens ?? room);
}

function tooLong(tokens: number, contextSize: number): ProviderError {
  return new ProviderError(ProviderErrorCode.BadRequest, `The input is ${tokens} tokens; this model's context holds ${contextSize}`);
}

function settingsOf(target: ProviderTarget): LocalModelSettings {
  const path = target.options.model_path;
  if (typeof path !== 'string' || path === '') {
    throw new ProviderError(ProviderErrorCode.Unavailable, `Model ${target.modelId} has no model file (options.model_path)`);
  }
  return {
    path,
    contextSize: positiveInteger(target.options.context_size, DEFAULT_CONTEXT_SIZE),
    threads: positiveInteger(target.options.threads, DEFAULT_THREADS),
    sequences: positiveInteger(target.options.parallel, DEFAULT_SEQUENCES),
  };
}

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

async function resultOf(stream: AsyncIterable<GenerationChunk>): Promise<GenerationResult> {
  for await (const chunk of stream) if (chunk.type === 'done') return chunk.result;
  throw new ProviderError(ProviderErrorCode.Unknown, 'Local generation ended without a result');
}

/** Stops waiting (for a model to load, say) when the call is cancelled or times out; the wait itself goes on for others. */
function untilAborted<T>(promise: Promise<T>, callSignal: CallSignal): Promise<T> {
  const { signal } = callSignal;
  if (signal.aborted) return Promise.reject(abortedCallError(callSignal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedCallError(callSignal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.finally(() => signal.removeEventListener('abort', onAbort)).then(resolve, reject);
  });
}

/** Our own errors pass through; a fired signal is the cause of whatever else failed; the rest is the runtime failing. */
function localError(error: unknown, callSignal: CallSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  return callSignal.abortError() ?? new ProviderError(ProviderErrorCode.ServerError, `Local inference failed: ${errorMessage(error)}`);
}
