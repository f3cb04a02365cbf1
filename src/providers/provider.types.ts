/**
 * The one contract every provider adapter fulfils. Adapters speak their vendor's protocol and
 * return normalized results; they know nothing of routing, persistence or HTTP.
 */

export const PROVIDER_KINDS = ['openai', 'anthropic', 'ollama', 'local'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** What providers need to know of a registered model to call it (the registry's entity has it all). */
export interface ModelEndpoint {
  id: string;
  provider: ProviderKind;
  contextLength: number;
  /** Non-secret settings as registered: the API URL and provider-specific options. */
  settings: { api_url?: string; options?: Record<string, unknown> };
  /** The API key, sealed (see SecretBox); null when the environment's is used. */
  apiKeySealed: string | null;
}

export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

/** Anthropic's prompt-caching marker, passed to Anthropic and dropped elsewhere (other vendors cache on their own). */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

/**
 * A piece of a message in order. Images are URLs: `data:` URLs carry the bytes; http(s) URLs are
 * only ever sent to providers that fetch them (the gateway never fetches a URL itself).
 */
export type ContentPart =
  | { type: 'text'; text: string; cacheControl?: CacheControl }
  | { type: 'image'; url: string; detail?: 'auto' | 'low' | 'high'; cacheControl?: CacheControl };

/** A call the model asked for; `arguments` is the JSON text the model wrote (OpenAI's form). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * One message of a conversation. `content` is always the message's text (parts joined), so that
 * counting, routing and text-only providers need look no further; `parts` keeps text and images in
 * their order when the caller sent parts.
 */
export interface ChatMessage {
  role: ChatRole;
  content: string;
  parts?: ContentPart[];
  /** An assistant message's tool calls. */
  toolCalls?: ToolCall[];
  /** A `tool` message answers this call. */
  toolCallId?: string;
  cacheControl?: CacheControl;
}

/** A function the model may call; `parameters` is a JSON Schema. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean;
  cacheControl?: CacheControl;
}

/** `auto` (the default with tools), `none`, `required` (some tool), or one named function. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** What the answer must be: text (the default), any JSON object, or JSON matching a schema. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; description?: string; schema: Record<string, unknown>; strict?: boolean };

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'cancelled';

/** Where and how to call one model: resolved from the registry, the sealed key and the environment. */
export interface ProviderTarget {
  /** Our model id (as registered). */
  modelId: string;
  /** The name the provider knows the model by (`configuration.options.model`, else the model id). */
  providerModel: string;
  /** Base URL of the provider's API (OpenAI-style URLs include `/v1`); null for the vendor's default. */
  baseUrl: string | null;
  apiKey: string | null;
  /** `configuration.options` as registered (e.g. `model_path` for local models). */
  options: Record<string, unknown>;
}

/** What every call takes: the caller's cancellation and an upper bound on the call's duration. */
export interface CallControl {
  signal: AbortSignal;
  timeoutMs: number;
}

export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

export const SERVICE_TIERS = ['auto', 'default', 'flex', 'scale', 'priority'] as const;
export type ServiceTier = (typeof SERVICE_TIERS)[number];

/**
 * What a caller may ask of a generation besides `maxTokens` and `temperature`, in the adapters'
 * camelCase. `stop` and `topP` shape the answer; the rest are hints (see `HINTS`).
 */
export interface SamplingParams {
  stop?: string[];
  topP?: number;
  topK?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Token id (as a decimal string) to a bias of -100..100, in the OpenAI tokenizer's ids. */
  logitBias?: Record<string, number>;
  /** The caller's end-user id, for the provider's abuse detection. */
  user?: string;
  reasoningEffort?: ReasoningEffort;
  serviceTier?: ServiceTier;
  parallelToolCalls?: boolean;
}

/**
 * Adapters honour `maxTokens`, `temperature`, `topP` and `stop` (where `answerParamProblem` says a
 * provider cannot, the router never sends them there) and pass the hints their endpoint takes.
 */
export interface GenerationParams extends SamplingParams {
  maxTokens?: number;
  temperature?: number;
}

export interface ChatCall extends CallControl, GenerationParams {
  messages: ChatMessage[];
  /** Choices to generate; above 1 only where `answerParamProblem` allows (OpenAI protocol, not streamed). */
  n?: number;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
}

export interface CompletionCall extends CallControl, GenerationParams {
  prompt: string;
}

export interface EmbeddingCall extends CallControl {
  texts: string[];
  /** Passed to the provider only when the adapter says `supportsDimensions`. */
  dimensions?: number;
}

/** Token counts as the provider reported them; null where it reported none. */
export interface ProviderUsage {
  /** Every input token, cached and cache-written ones included (OpenAI counts this way; Anthropic's three counts are summed). */
  promptTokens: number | null;
  completionTokens: number | null;
  /** Input tokens read from the provider's prompt cache; absent when it reported none. */
  cachedTokens?: number;
  /** Input tokens written to the provider's prompt cache (Anthropic); absent when it reported none. */
  cacheWriteTokens?: number;
}

export interface GenerationResult {
  content: string;
  /** The tools the model called, in order; empty when it called none. */
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: ProviderUsage;
  /**
   * Mean per-token probability of the generated tokens (exp of the mean log-probability), 0..1,
   * where the provider returns log-probabilities; otherwise null.
   */
  confidence: number | null;
  /** Provider-specific facts worth returning to the caller (`metadata.model_specific`). */
  modelSpecific: Record<string, unknown>;
  /** The choices after the first, when the call asked for several (`n`). */
  alternatives?: Alternative[];
}

export interface Alternative {
  content: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
}

/**
 * A piece of a streamed tool call, OpenAI's way: the first piece of call `index` has its id and
 * name, later ones only more of the arguments' JSON text.
 */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments: string;
}

/** A stream yields content and tool-call deltas in order, then exactly one `done` with the full result. */
export type GenerationChunk =
  | { type: 'delta'; content: string }
  | { type: 'tool_call_delta'; delta: ToolCallDelta }
  | { type: 'done'; result: GenerationResult };

export interface EmbeddingResult {
  embeddings: number[][];
  usage: { promptTokens: number | null };
}

/**
 * A request in the provider's own wire format, forwarded as it came but for the model name
 * (`POST /v1/messages` to an Anthropic model). `headers` are the client's protocol headers the
 * provider reads (`anthropic-beta`).
 */
export interface NativeCall extends CallControl {
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** A forwarded stream: the provider's own events in order, then the result they add up to. */
export type NativeChunk = { type: 'event'; event: { type: string } & Record<string, unknown> } | { type: 'done'; result: GenerationResult };

/** What an adapter that can forward its own protocol offers; the `protocol` names the wire format. */
export interface NativeForwarding {
  readonly protocol: 'anthropic';
  send(target: ProviderTarget, call: NativeCall): Promise<{ body: unknown; result: GenerationResult }>;
  stream(target: ProviderTarget, call: NativeCall): AsyncIterable<NativeChunk>;
}

export interface ProviderAdapter {
  readonly kind: ProviderKind;
  /** True when the provider shortens embeddings itself when asked for `dimensions`. */
  readonly supportsDimensions: boolean;

  chat(target: ProviderTarget, call: ChatCall): Promise<GenerationResult>;
  /** A plain prompt; adapters whose API has no completion endpoint send it as one user message. */
  complete(target: ProviderTarget, call: CompletionCall): Promise<GenerationResult>;
  streamChat(target: ProviderTarget, call: ChatCall): AsyncIterable<GenerationChunk>;
  streamComplete(target: ProviderTarget, call: CompletionCall): AsyncIterable<GenerationChunk>;
  embed(target: ProviderTarget, call: EmbeddingCall): Promise<EmbeddingResult>;
  /** Requests in the provider's own wire format, forwarded unchanged, where the adapter takes them. */
  readonly native?: NativeForwarding;
  /** Exact token count with the model's own tokenizer, where the adapter has one (local models). */
  countTokens?(target: ProviderTarget, text: string): Promise<number>;
}
