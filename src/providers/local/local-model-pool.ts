import { stat } from 'node:fs/promises';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import { CallSignal } from '../call-signal';
import { ProviderError, ProviderErrorCode } from '../provider-error';
import { errorMessage, importNodeLlamaCpp } from './node-llama-cpp';

/** How one GGUF file is run. */
export interface LocalModelSettings {
  path: string;
  /** Tokens each sequence can hold: prompt and generated text together. */
  contextSize: number;
  /** CPU threads per context. */
  threads: number;
  /** Requests one context generates for at once; more wait in line. */
  sequences: number;
}

/**
 * The in-process llama.cpp runtime: one `Llama` per process, each GGUF file loaded once, and per
 * settings one generation context and one embedding context, created on first use and shared.
 * The maps hold promises so that concurrent first calls load once; a failed load is forgotten so
 * that a later call tries again (the file may have been fixed).
 */
export class LocalModelPool {
  private llama: Promise<Llama> | null = null;
  private readonly models = new Map<string, Promise<LlamaModel>>();
  private readonly generators = new Map<string, Promise<SequencePool>>();
  private readonly embedders = new Map<string, Promise<LlamaEmbeddingContext>>();
  private closed = false;

  model(path: string): Promise<LlamaModel> {
    return this.shared(this.models, path, async () => {
      await assertModelFile(path);
      const llama = await this.runtime();
      return await unavailableOnFailure(`Cannot load ${path}`, () => llama.loadModel({ modelPath: path }));
    });
  }

  sequences(settings: LocalModelSettings): Promise<SequencePool> {
    return this.shared(this.generators, settingsKey(settings), async () => {
      const model = await this.model(settings.path);
      const context = await unavailableOnFailure(`Cannot create a context for ${settings.path}`, () =>
        model.createContext({ contextSize: settings.contextSize, sequences: settings.sequences, threads: settings.threads }),
      );
      return new SequencePool(context);
    });
  }

  embeddingContext(settings: LocalModelSettings): Promise<LlamaEmbeddingContext> {
    return this.shared(this.embedders, settingsKey(settings), async () => {
      const model = await this.model(settings.path);
      return await unavailableOnFailure(`Cannot create an embedding context for ${settings.path}`, () =>
        model.createEmbeddingContext({ contextSize: settings.contextSize, threads: settings.threads }),
      );
    });
  }

  /** Frees everything, contexts before the models they use; later calls are refused. */
  async dispose(): Promise<void> {
    this.closed = true;
    const generators = await loaded(this.generators);
    for (const pool of generators) pool.close();
    await Promise.allSettled((await loaded(this.embedders)).map((context) => context.dispose()));
    await Promise.allSettled(generators.map((pool) => pool.context.dispose()));
    await Promise.allSettled((await loaded(this.models)).map((model) => model.dispose()));
    const llama = this.llama ? await this.llama.catch(() => null) : null;
    await llama?.dispose();
  }

  private runtime(): Promise<Llama> {
    this.llama ??= importNodeLlamaCpp()
      .then(({ getLlama, LlamaLogLevel }) =>
        // CPU only, and never a build or download at run time: the prebuilt binary ships with the package.
        getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error }),
      )
      .catch((error: unknown) => {
        this.llama = null;
        throw new ProviderError(ProviderErrorCode.Unavailable, `Cannot start llama.cpp: ${errorMessage(error)}`);
      });
    return this.llama;
  }

  private shared<T>(map: Map<string, Promise<T>>, key: string, create: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ProviderError(ProviderErrorCode.Unavailable, 'Local models are shutting down'));
    let entry = map.get(key);
    if (!entry) {
      entry = create().catch((error: unknown) => {
        map.delete(key);
        throw error;
      });
      map.set(key, entry);
    }
    return entry;
  }
}

/**
 * Hands out a context's sequences, one request each; requests beyond them wait in line (FIFO) until
 * one is released or their signal fires. Sequences are kept rather than disposed, so the next
 * request can reuse whatever prefix of its prompt is still evaluated in the one it gets.
 */
export class SequencePool {
  private readonly idle: LlamaContextSequence[];
  private readonly waiting: Waiter[] = [];

  constructor(readonly context: LlamaContext) {
    this.idle = Array.from({ length: context.totalSequences }, () => context.getSequence());
  }

  get model(): LlamaModel {
    return this.context.model;
  }

  /** Rejects with the cancel or timeout error if the call's signal fires first. */
  acquire(callSignal: CallSignal): Promise<LlamaContextSequence> {
    const { signal } = callSignal;
    if (signal.aborted) return Promise.reject(abortedCallError(callSignal));
    const sequence = this.idle.pop();
    if (sequence) return Promise.resolve(sequence);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(abortedCallError(callSignal));
      };
      const waiter: Waiter = {
        grant: (granted) => {
          signal.removeEventListener('abort', onAbort);
          resolve(granted);
        },
        refuse: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  release(sequence: LlamaContextSequence): void {
    const next = this.waiting.shift();
    if (next) next.grant(sequence);
    else this.idle.push(sequence);
  }

  /** Turns away everyone still waiting: the context is about to be disposed. */
  close(): void {
    for (const waiter of this.waiting.splice(0)) {
      waiter.refuse(new ProviderError(ProviderErrorCode.Unavailable, 'Local models are shutting down'));
    }
  }
}

interface Waiter {
  grant(sequence: LlamaContextSequence): void;
  refuse(error: ProviderError): void;
}

/** The error for a call whose signal has fired. */
export function abortedCallError(callSignal: CallSignal): ProviderError {
  // Only reached once the signal fired, so one of its two causes is always there.
  return callSignal.abortError() ?? new ProviderError(ProviderErrorCode.Cancelled, 'Request was cancelled');
}

function settingsKey(settings: LocalModelSettings): string {
  return JSON.stringify([settings.path, settings.contextSize, settings.threads, settings.sequences]);
}

async function assertModelFile(path: string): Promise<void> {
  const file = await stat(path).catch(() => null);
  if (!file?.isFile()) throw new ProviderError(ProviderErrorCode.Unavailable, `Model file not found: ${path}`);
}

async function unavailableOnFailure<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new ProviderError(ProviderErrorCode.Unavailable, `${what}: ${errorMessage(error)}`);
  }
}

/** The values of the entries that loaded; failed or pending-then-failed ones are skipped. */
async function loaded<T>(map: Map<string, Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(map.values());
  return settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
}
