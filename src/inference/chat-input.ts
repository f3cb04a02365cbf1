import { ValidationFailed } from '../common/errors/domain-error';
import { ChatMessage, ChatRole, ContentPart, ResponseFormat, ToolChoice, ToolDefinition } from '../providers/provider.types';
import { ChatMessageFieldsDto, contentText, isRemoteUrl } from './dto/chat-message.dto';
import { ResponseFormatDto, ToolChoiceValue, ToolDto } from './dto/tools.dto';
import { definedOnly } from '../common/defined-only';

/**
 * Request bodies (OpenAI's shapes, on both APIs) into the provider contract, with the checks that
 * span several fields: a tool result answers a call made earlier in the conversation, a named
 * tool choice names a tool of the request, tool names are unique. A 400 names the field.
 */

/** Messages as validated, with the role already mapped (`developer` is `system`). */
export function toChatMessages(messages: (ChatMessageFieldsDto & { role: ChatRole })[]): ChatMessage[] {
  const calls = new Set<string>();
  return messages.map((message, index) => {
    const converted = toChatMessage(message);
    for (const call of converted.toolCalls ?? []) calls.add(call.id);
    if (converted.toolCallId !== undefined && !calls.has(converted.toolCallId)) {
      throw new ValidationFailed({
        [`messages[${index}].tool_call_id`]: [`"${converted.toolCallId}" answers no tool call of an earlier assistant message`],
      });
    }
    return converted;
  });
}

function toChatMessage(message: ChatMessageFieldsDto & { role: ChatRole }): ChatMessage {
  const { content } = message;
  const converted: ChatMessage = { role: message.role, content: contentText(content) };
  // Parts are kept only where they carry more than their text: images, or cache markers.
  if (Array.isArray(content) && content.some((part) => part.type === 'image_url' || part.cache_control !== undefined)) {
    converted.parts = content.map(toPart);
  }
  if (message.tool_calls) {
    converted.toolCalls = message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }));
  }
  if (message.tool_call_id !== undefined) converted.toolCallId = message.tool_call_id;
  if (message.cache_control) converted.cacheControl = { ...message.cache_control };
  return converted;
}

function toPart(part: NonNullable<Exclude<ChatMessageFieldsDto['content'], string | null>>[number]): ContentPart {
  const cacheControl = part.cache_control ? { cacheControl: { ...part.cache_control } } : {};
  if (part.type === 'text') return { type: 'text', text: part.text, ...cacheControl };
  return { type: 'image', url: part.image_url.url, ...(part.image_url.detail ? { detail: part.image_url.detail } : {}), ...cacheControl };
}

export function toTools(tools: ToolDto[] | undefined): ToolDefinition[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  const seen = new Set<string>();
  return tools.map((tool, index) => {
    const { name, description, parameters, strict } = tool.function;
    if (seen.has(name)) throw new ValidationFailed({ [`tools[${index}].function.name`]: [`"${name}" names another tool too: names must be unique`] });
    seen.add(name);
    return definedOnly({ name, description, parameters, strict, cacheControl: tool.cache_control ? { ...tool.cache_control } : undefined });
  });
}

export function toToolChoice(choice: ToolChoiceValue | undefined, tools: ToolDefinition[] | undefined): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (!tools) throw new ValidationFailed({ tool_choice: ['tool_choice is only allowed with tools'] });
  if (typeof choice === 'string') return choice;
  const { name } = choice.function;
  if (!tools.some((tool) => tool.name === name)) throw new ValidationFailed({ 'tool_choice.function.name': [`"${name}" is not one of the request's tools`] });
  return { name };
}

export function toResponseFormat(format: ResponseFormatDto | undefined): ResponseFormat | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const { name, description, schema, strict } = format.json_schema!;
  // OpenAI allows a schema-less json_schema (any JSON); an empty schema accepts anything.
  return definedOnly({ type: 'json_schema' as const, name, description, schema: schema ?? {}, strict });
}

/** The field path of the first http(s) image URL, for providers that take only bytes; null when every image is a data: URL. */
export function firstRemoteImage(messages: ChatMessage[]): string | null {
  for (const [index, message] of messages.entries()) {
    const at = message.parts?.findIndex((part) => part.type === 'image' && isRemoteUrl(part.url)) ?? -1;
    if (at >= 0) return `messages[${index}].content[${at}].image_url.url`;
  }
  return null;
}

export function hasImages(messages: ChatMessage[]): boolean {
  return messages.some((message) => message.parts?.some((part) => part.type === 'image'));
}
