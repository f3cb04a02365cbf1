import { createHash } from 'node:crypto';
import type { ChatMessageDto, ContentPartInput } from '../inference/dto/chat-message.dto';
import type { ChatRequestDto } from '../inference/dto/inference-request.dto';
import type { ToolChoiceValue, ToolDto } from '../inference/dto/tools.dto';
import type { NativeRequest } from '../inference/inference.types';
import { RoutingHints, routingFields } from '../openai-compat/openai-request.mapper';
import { Block, blockText, CacheControl, ImageBlock, imageUrl, TextBlock } from './dto/content-blocks';
import { AnthropicMessageDto, AnthropicToolChoiceDto, AnthropicToolDto, CountTokensRequestDto, MessagesRequestDto } from './dto/messages-request.dto';
import { definedOnly } from '../common/defined-only';

/**
 * A Messages API request as the gateway's own chat request (OpenAI's shapes, which every adapter
 * takes), plus the body as it came, which Anthropic models get unchanged (`NativeRequest`).
 *
 * - `system` becomes a system message; blocks with `cache_control` stay parts.
 * - A user turn's `tool_result` blocks become `tool` messages, in order, before the rest of the
 *   turn; images inside a tool result join that rest, since tool messages carry text only.
 * - An assistant turn's `tool_use` blocks become `tool_calls` (input as JSON text); thinking
 *   blocks are the model's own and reach Anthropic models only.
 * - `tool_choice` `any` is `required`, `tool` a named function; `disable_parallel_tool_use` is
 *   `parallel_tool_calls: false`. `stop_sequences` is `stop`, `metadata.user_id` the user,
 *   `output_config.effort` the reasoning effort and `output_config.format` the response format.
 * - A `system` message mid-conversation (Claude Code sends them) stays a system message.
 */

/** Protocol headers of the client's that Anthropic reads; every other header stays with the gateway. */
const FORWARDED_HEADERS = ['anthropic-beta'];
/** Request fields only Anthropic's API takes: named in X-Ignored-Params when another kind of model answers. */
const NATIVE_ONLY_FIELDS = ['thinking', 'context_management'] as const;
/** The longest user id recorded as it is (the metadata column's bound); longer ones are recorded as their hash. */
const MAX_RECORDED_USER_ID = 128;

export function toChatRequest(body: MessagesRequestDto, model: string, hints: RoutingHints): ChatRequestDto {
  const userId = recordedUserId(body.metadata?.user_id);
  const format = body.output_config?.format;
  return definedOnly({
    ...routingFields(model, hints),
    ...conversation(body),
    max_tokens: body.max_tokens,
    temperature: body.temperature,
    top_p: body.top_p,
    top_k: body.top_k,
    stop: body.stop_sequences?.length ? body.stop_sequences : undefined,
    user: userId,
    metadata: userId === undefined ? undefined : { user_id: userId },
    reasoning_effort: body.output_config?.effort,
    response_format: format && { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } },
  });
}

function recordedUserId(userId: string | undefined): string | undefined {
  if (userId === undefined || userId.length <= MAX_RECORDED_USER_ID) return userId;
  return `sha256:${createHash('sha256').update(userId).digest('hex')}`;
}

/** The messages and tools, for generation and for counting tokens alike. */
export function conversation(body: CountTokensRequestDto): Pick<ChatRequestDto, 'messages' | 'tools' | 'tool_choice' | 'parallel_tool_calls'> {
  const system = body.system === undefined || body.system === '' ? [] : [systemMessage(body.system)];
  return definedOnly({
    messages: [...system, ...body.messages.flatMap(toMessages)],
    tools: body.tools?.length ? body.tools.map(toTool) : undefined,
    tool_choice: body.tools?.length ? toToolChoice(body.tool_choice) : undefined,
    parallel_tool_calls: body.tool_choice?.disable_parallel_tool_use ? false : undefined,
  });
}

export function nativeRequest(rawBody: Record<string, unknown>, headers: Record<string, string | string[] | undefined>): NativeRequest {
  return {
    protocol: 'anthropic',
    body: rawBody,
    headers: Object.fromEntries(FORWARDED_HEADERS.flatMap((name) => (typeof headers[name] === 'string' ? [[name, headers[name]]] : []))),
    nativeOnly: NATIVE_ONLY_FIELDS.filter((field) => rawBody[field] !== undefined),
  };
}

function systemMessage(system: string | Record<string, unknown>[]): ChatMessageDto {
  if (typeof system === 'string') return { role: 'system', content: system };
  return { role: 'system', content: (system as unknown as TextBlock[]).map(textPart) };
}

function toMessages(message: AnthropicMessageDto): ChatMessageDto[] {
  if (typeof message.content === 'string') return [{ role: message.role, content: message.content }];
  const blocks = message.content as unknown as Block[];
  if (message.role === 'system') return [systemMessage(message.content)];
  return message.role === 'assistant' ? [assistantMessage(blocks)] : userMessages(blocks);
}

function assistantMessage(blocks: Block[]): ChatMessageDto {
  const text = blocks.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
  const calls = blocks.flatMap((block) =>
    block.type === 'tool_use' ? [{ id: block.id, type: 'function' as const, function: { name: block.name, arguments: JSON.stringify(block.input) } }] : [],
  );
  return calls.length > 0 ? { role: 'assistant', content: text === '' ? null : text, tool_calls: calls } : { role: 'assistant', content: text };
}

function userMessages(blocks: Block[]): ChatMessageDto[] {
  const results: ChatMessageDto[] = [];
  const parts: ContentPartInput[] = [];
  for (const block of blocks) {
    if (block.type === 'tool_result') {
      const text = blockText(block.content);
      results.push({ role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error ? `Error: ${text}` : text });
      if (Array.isArray(block.content)) parts.push(...block.content.filter((inner): inner is ImageBlock => inner.type === 'image').map(imagePart));
    } else if (block.type === 'text') {
      parts.push(textPart(block));
    } else if (block.type === 'image') {
      parts.push(imagePart(block));
    }
  }
  return parts.length > 0 ? [...results, { role: 'user', content: parts }] : results;
}

function textPart(block: TextBlock): ContentPartInput {
  return { type: 'text', text: block.text, ...cacheControlOf(block.cache_control) };
}

function imagePart(block: ImageBlock): ContentPartInput {
  return { type: 'image_url', image_url: { url: imageUrl(block.source) }, ...cacheControlOf(block.cache_control) };
}

function cacheControlOf(cacheControl: CacheControl | undefined): { cache_control?: CacheControl } {
  return cacheControl ? { cache_control: { type: 'ephemeral', ...(cacheControl.ttl && { ttl: cacheControl.ttl }) } } : {};
}

function toTool(tool: AnthropicToolDto): ToolDto {
  return {
    type: 'function',
    function: definedOnly({ name: tool.name, description: tool.description, parameters: tool.input_schema }),
    ...cacheControlOf(tool.cache_control as CacheControl | undefined),
  };
}

function toToolChoice(choice: AnthropicToolChoiceDto | undefined): ToolChoiceValue | undefined {
  if (choice === undefined) return undefined;
  switch (choice.type) {
    case 'any':
      return 'required';
    case 'tool':
      return { type: 'function', function: { name: choice.name! } };
    case 'auto':
    case 'none':
      return choice.type;
  }
}
