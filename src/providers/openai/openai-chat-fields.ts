import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { ChatCall, ChatMessage, ResponseFormat, ToolCall, ToolCallDelta, ToolChoice, ToolDefinition } from '../provider.types';

/**
 * The chat request fields that carry a conversation to OpenAI (or a compatible server) in its own
 * shapes: messages with image parts, tool calls and tool results, tools, tool choice and response
 * format. Anthropic's cache markers have no OpenAI counterpart (OpenAI caches prompts on its own)
 * and are left out.
 */
type ChatFields = Pick<ChatCompletionCreateParamsNonStreaming, 'messages' | 'tools' | 'tool_choice' | 'parallel_tool_calls' | 'response_format' | 'n'>;

export function chatRequestFields(call: ChatCall): ChatFields {
  const tools = call.tools?.map(toTool);
  return {
    messages: call.messages.map(toMessage),
    tools,
    tool_choice: call.toolChoice === undefined ? undefined : toToolChoice(call.toolChoice),
    // OpenAI refuses parallel_tool_calls without tools.
    parallel_tool_calls: tools ? call.parallelToolCalls : undefined,
    response_format: call.responseFormat && toResponseFormat(call.responseFormat),
    n: call.n,
  };
}

function toMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: message.parts ? message.parts.map(toPart) : message.content };
    case 'assistant':
      return {
        role: 'assistant',
        // OpenAI takes null beside tool calls, and refuses an empty string there on some models.
        content: message.content === '' && message.toolCalls ? null : message.content,
        ...(message.toolCalls && { tool_calls: message.toolCalls.map(toToolCall) }),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId!, content: message.content };
  }
}

function toPart(part: NonNullable<ChatMessage['parts']>[number]): ChatCompletionContentPart {
  if (part.type === 'text') return { type: 'text', text: part.text };
  return { type: 'image_url', image_url: { url: part.url, ...(part.detail && { detail: part.detail }) } };
}

function toToolCall(call: ToolCall): ChatCompletionMessageFunctionToolCall {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

function toTool(tool: ToolDefinition): ChatCompletionTool {
  return {
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters, ...(tool.strict !== undefined && { strict: tool.strict }) },
  };
}

function toToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function toResponseFormat(format: ResponseFormat): ChatFields['response_format'] {
  if (format.type !== 'json_schema') return { type: format.type };
  const { name, description, schema, strict } = format;
  return { type: 'json_schema', json_schema: { name, description, schema, ...(strict !== undefined && { strict }) } };
}

/** A response's whole tool calls, as deltas of one piece each (custom tools, which this gateway never sends, are skipped). */
export function toolCallsOf(calls: ChatCompletionMessageToolCall[] | undefined): ToolCallDelta[] {
  return (calls ?? []).flatMap((call, index) => (call.type === 'function' ? [{ index, id: call.id, name: call.function.name, arguments: call.function.arguments }] : []));
}

/**
 * Gathers streamed tool-call pieces into whole calls, by index. The first piece of a call carries its
 * id and name; compatible servers that repeat them on later pieces are read the same way.
 */
export class ToolCallAccumulator {
  private readonly byIndex = new Map<number, ToolCall>();

  add(delta: ToolCallDelta): void {
    const call = this.byIndex.get(delta.index) ?? { id: '', name: '', arguments: '' };
    call.id ||= delta.id ?? '';
    call.name ||= delta.name ?? '';
    call.arguments += delta.arguments;
    this.byIndex.set(delta.index, call);
  }

  calls(): ToolCall[] {
    return [...this.byIndex.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  }
}
