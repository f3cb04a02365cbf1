import { ProviderError, ProviderErrorCode } from './provider-error';
import { ToolCall } from './provider.types';

/**
 * A call's arguments as the JSON object that providers taking objects (Anthropic's `input`,
 * Ollama's `arguments`) want; an empty string stands for no arguments. Anything else is the
 * caller's mistake, refused before the provider is called.
 */
export function toolArgumentsObject(call: ToolCall, provider: string): Record<string, unknown> {
  let parsed: unknown = {};
  try {
    if (call.arguments.trim() !== '') parsed = JSON.parse(call.arguments);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProviderError(
      ProviderErrorCode.BadRequest,
      `${provider} needs tool call arguments as a JSON object; call ${call.id} (${call.name}) has ${call.arguments.slice(0, 100)}`,
    );
  }
  return parsed as Record<string, unknown>;
}
