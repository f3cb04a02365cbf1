import type { GbnfJsonSchema } from 'node-llama-cpp';
import { ProviderError, ProviderErrorCode } from '../provider-error';
import { ChatCall, ChatMessage, ResponseFormat, ToolDefinition } from '../provider.types';
import { grammarSchema } from './grammar-schema';
import { forcedTools, toolCallSchema, toolLines } from './local-tools';

/** What a chat call becomes for a local model. */
export interface ChatPlan {
  prompt: string;
  /** The JSON the answer must be, or null for free text. */
  schema: GbnfJsonSchema | null;
  /** The tools one of which the answer calls (its JSON is the call), or null. */
  tools: ToolDefinition[] | null;
}

/**
 * A forced tool call (see `local-tools`) takes precedence over `responseFormat`, as a call is not
 * an answer's content. `json_object` is any JSON object; `json_schema` is the schema as far as a
 * grammar can hold it (see `grammarSchema`). Either way the prompt says what is expected, which
 * steers what the model writes inside the grammar.
 */
export function chatPlan(call: ChatCall): ChatPlan {
  refuseImages(call.messages);
  const tools = forcedTools(call);
  if (tools) return { prompt: transcript(call.messages, toolLines(tools)), schema: toolCallSchema(tools), tools };
  const format = call.responseFormat;
  if (format?.type === 'json_object') return { prompt: transcript(call.messages, [JSON_OBJECT_HINT]), schema: ANY_OBJECT, tools: null };
  if (format?.type === 'json_schema') {
    const schema = grammarSchema(format.schema, { label: 'the response_format schema' });
    return { prompt: transcript(call.messages, [schemaHint(format)]), schema, tools: null };
  }
  return { prompt: transcript(call.messages, []), schema: null, tools: null };
}

const ANY_OBJECT: GbnfJsonSchema = { type: 'object', additionalProperties: true };
const JSON_OBJECT_HINT = 'System: Answer with a JSON object.';

function schemaHint(format: Extract<ResponseFormat, { type: 'json_schema' }>): string {
  const description = format.description ? ` (${format.description})` : '';
  return `System: Answer with JSON matching the schema ${format.name}${description}: ${JSON.stringify(format.schema)}`;
}

const ROLE_LABELS = { system: 'System', user: 'User', assistant: 'Assistant' } as const;

/**
 * The chat format for local models: one `Role: content` line per message, then `Assistant:` for
 * the model to continue, e.g. `System: Be brief.\nUser: Hi!\nAssistant:`; any `preamble` lines
 * first. An assistant's tool calls are `Tool call (name): {arguments}` lines, and a tool message
 * is `Tool result (name): content`, named after the call it answers.
 */
function transcript(messages: readonly ChatMessage[], preamble: readonly string[]): string {
  const names = new Map(messages.flatMap((message) => message.toolCalls ?? []).map((call) => [call.id, call.name]));
  const lines = messages.flatMap((message): string[] => {
    if (message.role === 'tool') {
      const name = message.toolCallId === undefined ? undefined : names.get(message.toolCallId);
      return [`Tool result${name === undefined ? '' : ` (${name})`}: ${message.content}`];
    }
    const calls = (message.toolCalls ?? []).map((call) => `Tool call (${call.name}): ${call.arguments}`);
    // An assistant message that only called tools has no text line.
    const text = message.content === '' && calls.length > 0 ? [] : [`${ROLE_LABELS[message.role]}: ${message.content}`];
    return [...text, ...calls];
  });
  return [...preamble, ...lines, 'Assistant:'].join('\n');
}

/** The router sends local models no images; a call that has some is refused rather than answered without them. */
function refuseImages(messages: readonly ChatMessage[]): void {
  if (messages.some((message) => message.parts?.some((part) => part.type === 'image'))) {
    throw new ProviderError(ProviderErrorCode.BadRequest, 'Local models take no images');
  }
}
