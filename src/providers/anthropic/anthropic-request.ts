import type {
  AssistantMessageParam,
  Base64ImageSource,
  ContentBlockParam,
  ImageBlockParam,
  MessageCreateParamsNonStreaming,
  OutputConfig,
  TextBlockParam,
  Tool,
  ToolChoice as AnthropicToolChoice,
  ToolResultBlockParam,
  ToolUseBlockParam,
  URLImageSource,
  UserMessageParam,
} from '@anthropic-ai/sdk/resources/messages';
import { ProviderError, ProviderErrorCode } from '../provider-error';
import { toolArgumentsObject } from '../tool-arguments';
import { CacheControl, ChatCall, ChatMessage, ContentPart, ProviderTarget, ResponseFormat, ToolCall, ToolDefinition } from '../provider.types';

/** The tool a `json_object` answer is written through (see `AnthropicAdapter`). */
export const JSON_ANSWER_TOOL = 'json_answer';

const DEFAULT_MAX_TOKENS = 1024;
const EMPTY_SCHEMA: Tool.InputSchema = { type: 'object', properties: {} };
const IMAGE_MEDIA_TYPES: readonly Base64ImageSource['media_type'][] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

type Turn = UserMessageParam | AssistantMessageParam;
type Block = TextBlockParam | ImageBlockParam | ToolUseBlockParam | ToolResultBlockParam;

export interface AnthropicRequest {
  params: MessageCreateParamsNonStreaming;
  /** The tool whose input is the answer's text rather than a tool call; null when there is none. */
  answerTool: string | null;
}

/** A chat call as Messages API parameters; unset fields stay undefined, so JSON leaves them out. */
export function messageRequest(target: ProviderTarget, call: ChatCall): AnthropicRequest {
  const answerTool = answersThroughTool(call) ? JSON_ANSWER_TOOL : null;
  const tools = [...(call.tools ?? []).map(anthropicTool), ...(answerTool ? [answerToolDefinition(call.responseFormat!)] : [])];
  return {
    answerTool,
    params: {
      model: target.providerModel,
      max_tokens: call.maxTokens ?? defaultMaxTokens(target),
      messages: conversation(call.messages),
      system: systemParam(call.messages),
      stop_sequences: call.stop,
      metadata: call.user === undefined ? undefined : { user_id: call.user },
      tools: tools.length > 0 ? tools : undefined,
      tool_choice: toolChoice(call, answerTool !== null),
      output_config: answerTool ? undefined : outputConfig(call.responseFormat),
    },
  };
}

function defaultMaxTokens(target: ProviderTarget): number {
  const configured = target.options.max_tokens;
  return typeof configured === 'number' ? configured : DEFAULT_MAX_TOKENS;
}

/**
 * Anthropic takes the system prompt as a parameter of its own: the messages' text joined, or, once
 * one of them marks a cache breakpoint, one text block per message (or per text part).
 */
function systemParam(messages: ChatMessage[]): string | TextBlockParam[] | undefined {
  const system = messages.filter((message) => message.role === 'system');
  if (system.length === 0) return undefined;
  const blocks = system.flatMap((message) => {
    const texts = message.parts ? message.parts.flatMap((part) => (part.type === 'text' ? [textBlock(part.text, part.cacheControl)] : [])) : [textBlock(message.content)];
    return withCacheControl(texts, message.cacheControl);
  });
  return blocks.some((block) => block.cache_control) ? blocks : system.map((message) => message.content).join('\n\n');
}

/**
 * Anthropic wants user and assistant turns to alternate: tool results travel in a user turn, and
 * adjacent turns of one role (parallel calls' results, or turns a system message stood between)
 * are merged into one.
 */
function conversation(messages: ChatMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    const turn = turnOf(message);
    const last = turns.at(-1);
    if (last?.role === turn.role) turns[turns.length - 1] = merged(last, turn);
    else turns.push(turn);
  }
  return turns;
}

function turnOf(message: ChatMessage): Turn {
  if (message.role === 'tool') return { role: 'user', content: withCacheControl([toolResult(message)], message.cacheControl) };
  const role = message.role === 'assistant' ? 'assistant' : 'user';
  const calls = (message.role === 'assistant' ? message.toolCalls : undefined) ?? [];
  if (!message.parts && calls.length === 0 && !message.cacheControl) return { role, content: message.content };
  const content = message.parts ? message.parts.map(partBlock) : message.content === '' ? [] : [textBlock(message.content)];
  return { role, content: withCacheControl([...content, ...calls.map(toolUse)], message.cacheControl) };
}

/** Tool results go first in a merged user turn, as Anthropic requires after a turn of tool calls. */
function merged(first: Turn, second: Turn): Turn {
  const blocks = [...blocksOf(first.content), ...blocksOf(second.content)];
  const ordered = first.role === 'user' ? [...blocks.filter(isToolResult), ...blocks.filter((block) => !isToolResult(block))] : blocks;
  return { role: first.role, content: ordered };
}

function blocksOf(content: Turn['content']): ContentBlockParam[] {
  if (typeof content !== 'string') return content;
  return content === '' ? [] : [textBlock(content)];
}

function isToolResult(block: ContentBlockParam): boolean {
  return block.type === 'tool_result';
}

function toolResult(message: ChatMessage): ToolResultBlockParam {
  if (message.toolCallId === undefined) throw new ProviderError(ProviderErrorCode.BadRequest, 'A tool message needs the id of the call it answers (toolCallId)');
  const content = message.parts ? message.parts.map(partBlock) : message.content;
  return { type: 'tool_result', tool_use_id: message.toolCallId, content };
}

function toolUse(call: ToolCall): ToolUseBlockParam {
  return { type: 'tool_use', id: call.id, name: call.name, input: toolArgumentsObject(call, 'Anthropic') };
}


function partBlock(part: ContentPart): TextBlockParam | ImageBlockParam {
  if (part.type === 'text') return textBlock(part.text, part.cacheControl);
  return { type: 'image', source: imageSource(part.url), cache_control: part.cacheControl };
}

function textBlock(text: string, cacheControl?: CacheControl): TextBlockParam {
  return { type: 'text', text, cache_control: cacheControl };
}

/** A message's breakpoint marks its last block: Anthropic caches the prompt up to there. */
function withCacheControl<T extends Block>(blocks: T[], cacheControl: CacheControl | undefined): T[] {
  if (!cacheControl || blocks.length === 0) return blocks;
  return [...blocks.slice(0, -1), { ...blocks[blocks.length - 1], cache_control: cacheControl }];
}

function imageSource(url: string): Base64ImageSource | URLImageSource {
  const data = /^data:([^;,]+);base64,(.*)$/is.exec(url);
  if (data) {
    const mediaType = IMAGE_MEDIA_TYPES.find((type) => type === data[1].toLowerCase());
    if (!mediaType) throw new ProviderError(ProviderErrorCode.BadRequest, `Anthropic takes JPEG, PNG, GIF and WebP images, not ${data[1]}`);
    return { type: 'base64', media_type: mediaType, data: data[2] };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  throw new ProviderError(ProviderErrorCode.BadRequest, 'Anthropic takes images as base64 data: URLs or http(s) URLs');
}

function anthropicTool({ name, description, parameters, strict, cacheControl }: ToolDefinition): Tool {
  return { name, description, input_schema: (parameters as Tool.InputSchema | undefined) ?? EMPTY_SCHEMA, strict, cache_control: cacheControl };
}

function answerToolDefinition(format: ResponseFormat): Tool {
  return {
    name: JSON_ANSWER_TOOL,
    description: 'Give your final answer to the user through this tool: its input is the whole answer, as a JSON object.',
    input_schema: format.type === 'json_schema' ? (format.schema as Tool.InputSchema) : { type: 'object' },
  };
}

/**
 * A `json_object` answer, or one matching a schema that is not strict, is written through the
 * answer tool (whose input schema may be any object schema, where Anthropic's structured output
 * takes only its strict subset); a strict schema, or one whose root is not an object, goes to
 * `output_config`. Not when the caller's tool choice makes this turn a call of one of its own tools
 * (`required`, a named tool): that turn has no answer.
 */
function answersThroughTool({ responseFormat, tools, toolChoice }: ChatCall): boolean {
  if (responseFormat === undefined || responseFormat.type === 'text') return false;
  if (responseFormat.type === 'json_schema' && (responseFormat.strict === true || !isObjectSchema(responseFormat.schema))) return false;
  return !tools?.length || !(toolChoice === 'required' || typeof toolChoice === 'object');
}

function isObjectSchema(schema: Record<string, unknown>): boolean {
  return schema.type === 'object' || (schema.type === undefined && typeof schema.properties === 'object');
}

/**
 * The caller's choice in Anthropic's terms; with the answer tool, the model must call a tool: one
 * of the caller's, or the answer tool to answer (the answer tool alone where the caller's are off).
 * No choice and parallel calls allowed leaves Anthropic's default (`auto`).
 */
function toolChoice({ tools, toolChoice: choice, parallelToolCalls }: ChatCall, answerTool: boolean): AnthropicToolChoice | undefined {
  const callerTools = (tools?.length ?? 0) > 0;
  if (!callerTools && !answerTool) return undefined;
  const single = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (answerTool) return callerTools && choice !== 'none' ? { type: 'any', ...single } : { type: 'tool', name: JSON_ANSWER_TOOL, ...single };
  if (choice === undefined) return parallelToolCalls === false ? { type: 'auto', ...single } : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...single };
  if (choice === 'required') return { type: 'any', ...single };
  return { type: 'tool', name: choice.name, ...single };
}

/** A strict schema is enforced by Anthropic's own structured output (see `answersThroughTool` for the others). */
function outputConfig(format: ResponseFormat | undefined): OutputConfig | undefined {
  return format?.type === 'json_schema' ? { format: { type: 'json_schema', schema: format.schema } } : undefined;
}
