import { randomBytes } from 'node:crypto';
import type { GbnfJsonSchema } from 'node-llama-cpp';
import { ProviderError, ProviderErrorCode } from '../provider-error';
import { ChatCall, GenerationChunk, ToolCall, ToolDefinition } from '../provider.types';
import { grammarSchema } from './grammar-schema';

/**
 * Tool calling for local models, which run without a chat template and so without the template's
 * own tool-call syntax. A call is only ever forced: with `toolChoice` `required` or a named tool,
 * the model writes `{"name": ..., "arguments": ...}` under a grammar that admits the tools' names
 * with each one's parameters (`toolCallSchema`), and that JSON becomes one tool call with a
 * generated id. With `auto` (the default) or `none` the model answers in text and the tools are
 * not put in the prompt: a model that cannot call them would only write calls as prose.
 *
 * One call per answer (`parallelToolCalls` has no effect), streamed whole as a single
 * `tool_call_delta` once it is complete.
 */

/** The tools the model must call one of, or null when it answers in text. */
export function forcedTools(call: ChatCall): ToolDefinition[] | null {
  const tools = call.tools ?? [];
  const choice = call.toolChoice ?? 'auto';
  if (tools.length === 0 || choice === 'auto' || choice === 'none') return null;
  if (choice === 'required') return tools;
  const named = tools.find((tool) => tool.name === choice.name);
  if (!named) throw new ProviderError(ProviderErrorCode.BadRequest, `tool_choice names "${choice.name}", which is not one of the tools`);
  return [named];
}

/** `{"name": <a tool's name>, "arguments": <that tool's parameters>}`, for any of the tools. */
export function toolCallSchema(tools: readonly ToolDefinition[]): GbnfJsonSchema {
  const calls = tools.map(
    (tool): GbnfJsonSchema => ({
      type: 'object',
      properties: {
        name: { const: tool.name },
        arguments: grammarSchema(tool.parameters ?? NO_PARAMETERS, { label: `tool ${tool.name}'s parameters` }),
      },
    }),
  );
  return calls.length === 1 ? calls[0] : { oneOf: calls };
}

/** How a forced call's tools are put to the model: a line each, after what is asked. */
export function toolLines(tools: readonly ToolDefinition[]): string[] {
  const described = tools.map((tool) => {
    const description = tool.description ? ` ${tool.description}` : '';
    return `Tool ${tool.name}:${description} Arguments: ${JSON.stringify(tool.parameters ?? NO_PARAMETERS)}`;
  });
  return ['System: Answer with a call of a tool.', ...described];
}

/**
 * A forced call's stream: the generated JSON becomes one tool call, sent as one delta when it is
 * complete. JSON that does not parse (cut short by `maxTokens`, or by a caller's `stop`) is
 * returned as the text it is, with the generation's own finish reason.
 */
export async function* asToolCall(chunks: AsyncIterable<GenerationChunk>, tools: readonly ToolDefinition[]): AsyncGenerator<GenerationChunk> {
  for await (const chunk of chunks) {
    if (chunk.type !== 'done') continue;
    const { result } = chunk;
    const call = toolCallFrom(result.content, tools);
    if (!call) {
      if (result.content) yield { type: 'delta', content: result.content };
      yield chunk;
      continue;
    }
    yield { type: 'tool_call_delta', delta: { index: 0, ...call } };
    yield { type: 'done', result: { ...result, content: '', toolCalls: [call], finishReason: 'tool_calls' } };
  }
}

/** Local models have no ids of their own: OpenAI's form, so callers treat them alike. */
function newToolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

const NO_PARAMETERS = { type: 'object', properties: {} };

function toolCallFrom(text: string, tools: readonly ToolDefinition[]): ToolCall | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || !('name' in value) || typeof value.name !== 'string') return null;
  const { name } = value;
  if (!tools.some((tool) => tool.name === name)) return null;
  const args = 'arguments' in value ? value.arguments : {};
  return { id: newToolCallId(), name, arguments: JSON.stringify(args) };
}
