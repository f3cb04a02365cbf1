import type { ProviderKind, ProviderTarget, SamplingParams } from './provider.types';

/** The parameters that change the answer: honoured, or the model is not eligible. Named as in the request bodies. */
export interface AnswerParams {
  /** Only a temperature the caller set: the one derived from `requirements` is a default, not a request. */
  temperature?: number;
  top_p?: number;
  stop?: string[];
  /** The field path of the first http(s) image URL: providers that take only image bytes cannot serve it. */
  remote_image?: string;
  /** Several choices: only OpenAI-protocol models generate them. */
  n?: number;
  /** The kind of provider the request is forwarded to unchanged (`/v1/messages` to Anthropic): it honours whatever it takes. */
  forwarded_to?: ProviderKind;
}

/** Hints: passed where the provider takes them, otherwise named in `X-Ignored-Params`. Named as in the request bodies. */
export const HINTS = ['top_k', 'seed', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'user', 'reasoning_effort', 'service_tier', 'parallel_tool_calls'] as const;
export type Hint = (typeof HINTS)[number];

const HINT_FIELDS: Record<Hint, keyof SamplingParams> = {
  top_k: 'topK',
  seed: 'seed',
  presence_penalty: 'presencePenalty',
  frequency_penalty: 'frequencyPenalty',
  logit_bias: 'logitBias',
  user: 'user',
  reasoning_effort: 'reasoningEffort',
  service_tier: 'serviceTier',
  parallel_tool_calls: 'parallelToolCalls',
};

/**
 * The endpoint a call goes to: OpenAI's legacy `/completions` takes fewer hints than chat. Each
 * adapter sends exactly the hints listed for its endpoint (docs/parameters.md has the mapping).
 * `parallel_tool_calls` means something only beside tools: without them it is ignored everywhere.
 */
export type GenerationEndpoint = Exclude<ProviderKind, 'openai'> | 'openai_chat' | 'openai_completions';

const PASSED_HINTS: Record<GenerationEndpoint, readonly Hint[]> = {
  openai_chat: ['seed', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'user', 'reasoning_effort', 'service_tier', 'parallel_tool_calls'],
  openai_completions: ['seed', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'user'],
  // metadata.user_id; tool_choice.disable_parallel_tool_use
  anthropic: ['user', 'parallel_tool_calls'],
  // options.top_k, options.seed, options.presence_penalty, options.frequency_penalty
  ollama: ['top_k', 'seed', 'presence_penalty', 'frequency_penalty'],
  // the sampler's topK, seed and repeatPenalty.presencePenalty / frequencyPenalty
  local: ['top_k', 'seed', 'presence_penalty', 'frequency_penalty'],
};

/** Whether an OpenAI-protocol model serves prompts on the legacy `/completions` endpoint (`options.completions_api`). */
export function usesCompletionsApi(target: ProviderTarget): boolean {
  return target.options.completions_api === true;
}

/** Where a call goes: `asCompletion` when a prompt goes to a completion endpoint rather than as a chat message. */
export function endpointOf(kind: ProviderKind, target: ProviderTarget, asCompletion: boolean): GenerationEndpoint {
  if (kind !== 'openai') return kind;
  return asCompletion && usesCompletionsApi(target) ? 'openai_completions' : 'openai_chat';
}

/** The hints the call carries that its endpoint does not take, sorted: the `X-Ignored-Params` list. */
export function ignoredHints(endpoint: GenerationEndpoint, params: SamplingParams, withTools: boolean): Hint[] {
  const passed = withTools ? PASSED_HINTS[endpoint] : PASSED_HINTS[endpoint].filter((hint) => hint !== 'parallel_tool_calls');
  return HINTS.filter((hint) => params[HINT_FIELDS[hint]] !== undefined && !passed.includes(hint)).sort();
}

export interface ParamProblem {
  param: string;
  reason: string;
  /** The request itself must change (a named model answers 400 naming the field, not 422). */
  badRequest?: boolean;
}

/**
 * Why a provider cannot honour an answer-shaping parameter, naming it, or null. The Messages API
 * this Anthropic SDK speaks has no sampling parameters at all (no `temperature`, no `top_p`), and
 * Anthropic refuses stop sequences that are only whitespace; the other providers take all three.
 */
export function answerParamProblem(kind: ProviderKind, params: AnswerParams): ParamProblem | null {
  if (params.forwarded_to === kind) return null;
  if (params.remote_image !== undefined && (kind === 'ollama' || kind === 'local')) {
    // The gateway never fetches a URL itself, so this is the caller's to fix: a 400, not a 422.
    return { param: params.remote_image, reason: `${kind} models take image bytes only: send the image as a base64 data: URL`, badRequest: true };
  }
  if (params.n !== undefined && kind !== 'openai') {
    return { param: 'n', reason: 'n above 1 cannot be honoured: only OpenAI-protocol models answer with several choices' };
  }
  if (kind !== 'anthropic') return null;
  for (const param of ['temperature', 'top_p'] as const) {
    if (params[param] !== undefined) return { param, reason: `${param} cannot be honoured: the Anthropic Messages API takes no sampling parameters` };
  }
  if (params.stop?.some((sequence) => sequence.trim() === '')) {
    return { param: 'stop', reason: 'stop cannot be honoured: Anthropic refuses stop sequences that are only whitespace' };
  }
  return null;
}
