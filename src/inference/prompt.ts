import { ValidationFailed } from '../common/errors/domain-error';
import { ChatMessage } from '../providers/provider.types';
import { ContextItemDto } from './dto/inference-request.dto';

/**
 * Context items become text the same way for every provider (documented in docs/api.md):
 *
 *   <context type="code" filename="math.py">
 *   def add(a, b): return a + b
 *   </context>
 *
 * Scalar metadata values become attributes; other values are JSON. For a completion the
 * blocks precede the prompt; for a chat they open the system message.
 */
export function renderContext(items: ContextItemDto[] = []): string {
  return items.map(renderItem).join('\n\n');
}

function renderItem(item: ContextItemDto): string {
  const attributes = Object.entries({ type: item.type, ...item.metadata })
    .map(([key, value]) => `${attributeName(key)}="${escapeAttribute(typeof value === 'string' ? value : JSON.stringify(value))}"`)
    .join(' ');
  return `<context ${attributes}>\n${item.content}\n</context>`;
}

function attributeName(key: string): string {
  return key.replace(/[^A-Za-z0-9_.-]/g, '_') || '_';
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/\n/g, '&#10;');
}

export function promptWithContext(prompt: string, context?: ContextItemDto[]): string {
  const rendered = renderContext(context);
  return rendered ? `${rendered}\n\n${prompt}` : prompt;
}

export function messagesWithContext(messages: ChatMessage[], context?: ContextItemDto[]): ChatMessage[] {
  const rendered = renderContext(context);
  if (!rendered) return messages;
  const [first, ...rest] = messages;
  // A system message sent as parts (with cache markers) keeps them: the context goes before it instead.
  if (first.role === 'system' && !first.parts) return [{ ...first, content: `${rendered}\n\n${first.content}` }, ...rest];
  return [{ role: 'system', content: rendered }, ...messages];
}

/** The text a model reads, for token counts where the provider reports none. */
export function promptTextOf(messages: ChatMessage[]): string {
  return messages.map((m) => m.content).join('\n');
}

/**
 * Refuses a prompt longer than the deployment's MAX_PROMPT_CHARS with a 400 naming the field.
 * `promptText` is what the model reads, context items included, so the limit bounds the cost of
 * every later step (counting tokens, storing, sending).
 */
export function assertPromptSize(field: 'prompt' | 'messages', promptText: string, maxChars: number): void {
  if (promptText.length <= maxChars) return;
  throw new ValidationFailed({ [field]: [`${field} must be at most ${maxChars} characters, context items included (got ${promptText.length})`] });
}
