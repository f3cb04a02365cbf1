import { ProviderError, ProviderErrorCode } from '../provider-error';
import { ChatCall, ChatMessage, ContentPart, ResponseFormat, ToolCall, ToolChoice, ToolDefinition } from '../provider.types';
import { toolArgumentsObject } from '../tool-arguments';

/**
 * A chat call in the shape of Ollama's `/api/chat`: messages with `images` (bare base64) and
 * `tool_calls` (arguments as objects), `tools`, and `format` for structured output.
 */

interface OllamaToolCall {
  id: string;
  function: { name: string; arguments: Record<string, unknown> };
}

interface OllamaMessage {
  role: ChatMessage['role'];
  content: string;
  images?: string[];
  tool_calls?: OllamaToolCall[];
  tool_name?: string;
  tool_call_id?: string;
}

interface OllamaTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export interface OllamaChatFields {
  messages: OllamaMessage[];
  tools?: OllamaTool[];
  format?: 'json' | Record<string, unknown>;
}

/** Unset fields stay undefined, so JSON leaves them out. */
export function chatFields(call: ChatCall): OllamaChatFields {
  return { messages: ollamaMessages(call.messages), tools: ollamaTools(call.tools, call.toolChoice), format: ollamaFormat(call.responseFormat) };
}

/**
 * Ollama has no tool-call ids in its prompt: a tool result names its tool instead (`tool_name`),
 * found through the assistant message that made the call. The ids go along as well (`id`,
 * `tool_call_id`) for servers recent enough to take them; Ollama ignores fields it does not know.
 */
function ollamaMessages(messages: ChatMessage[]): OllamaMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((message) => {
    const { role, content, toolCalls } = message;
    if (role === 'tool') return { role, content, tool_name: toolNameOf(message.toolCallId, toolNames), tool_call_id: message.toolCallId };
    const images = imagesOf(message.parts);
    if (!toolCalls?.length) return { role, content, images };
    for (const call of toolCalls) toolNames.set(call.id, call.name);
    return { role, content, images, tool_calls: toolCalls.map(ollamaToolCall) };
  });
}

function toolNameOf(toolCallId: string | undefined, toolNames: Map<string, string>): string {
  const name = toolCallId === undefined ? undefined : toolNames.get(toolCallId);
  if (name === undefined) {
    throw new ProviderError(ProviderErrorCode.BadRequest, `A tool message answers call ${toolCallId ?? '(no id)'}, which no earlier assistant message made`);
  }
  return name;
}

function ollamaToolCall(call: ToolCall): OllamaToolCall {
  return { id: call.id, function: { name: call.name, arguments: toolArgumentsObject(call, 'Ollama') } };
}

/** Ollama wants the image bytes, base64 without the `data:` prefix; it fetches no URLs. */
function imagesOf(parts: ContentPart[] | undefined): string[] | undefined {
  const images = (parts ?? []).flatMap((part) => (part.type === 'image' ? [base64Of(part.url)] : []));
  return images.length > 0 ? images : undefined;
}

function base64Of(url: string): string {
  const match = /^data:[^,]*;base64,(.*)$/is.exec(url);
  if (match) return match[1].replace(/\s/g, '');
  const what = url.startsWith('data:') ? 'a data: URL that is not base64' : 'an image URL';
  throw new ProviderError(ProviderErrorCode.BadRequest, `Ollama needs image bytes (a base64 data: URL), not ${what}`);
}

/**
 * Ollama has no tool choice; the model decides (`auto`). `none` sends no tools. A named function
 * is approached by sending that tool alone: the model may still answer in text. `required` sends
 * the tools as they are, and the model may answer in text all the same.
 */
function ollamaTools(tools: ToolDefinition[] | undefined, choice: ToolChoice | undefined): OllamaTool[] | undefined {
  if (!tools?.length || choice === 'none') return undefined;
  if (typeof choice === 'object') {
    const chosen = tools.find((tool) => tool.name === choice.name);
    if (!chosen) throw new ProviderError(ProviderErrorCode.BadRequest, `tool_choice names ${choice.name}, which is not among the tools`);
    return [ollamaTool(chosen)];
  }
  return tools.map(ollamaTool);
}

/** A function without parameters gets an empty object schema, as OpenAI reads a missing one. */
function ollamaTool({ name, description, parameters }: ToolDefinition): OllamaTool {
  return { type: 'function', function: { name, description, parameters: parameters ?? { type: 'object', properties: {} } } };
}

function ollamaFormat(format: ResponseFormat | undefined): OllamaChatFields['format'] {
  switch (format?.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json_object':
      return 'json';
    case 'json_schema':
      return format.schema;
  }
}
