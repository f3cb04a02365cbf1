import { MAX_TEXT_CHARS } from '../../inference/dto/inference-request.dto';
import { IMAGE_MEDIA_TYPES, isRemoteUrl } from '../../inference/dto/chat-message.dto';
import { MAX_SCHEMA_CHARS, TOOL_NAME } from '../../inference/dto/tools.dto';

/** Anthropic's content blocks as this gateway reads them, checked field by field (`isBlockList`). */

export const MAX_BLOCKS = 100;
const ID = /^[\x21-\x7e]{1,256}$/;

export type CacheControl = { type: 'ephemeral'; ttl?: '5m' | '1h' };
export type ImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };

export type TextBlock = { type: 'text'; text: string; cache_control?: CacheControl };
export type ImageBlock = { type: 'image'; source: ImageSource; cache_control?: CacheControl };
export type ToolUseBlock = { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; cache_control?: CacheControl };
export type ToolResultBlock = {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | (TextBlock | ImageBlock)[];
  is_error?: boolean;
  cache_control?: CacheControl;
};
/** Model-internal reasoning: passed back to Anthropic models as it came, dropped for others. */
export type ThinkingBlock = { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

export type Block = TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock;

export const SYSTEM_BLOCK_TYPES = ['text'] as const;
export const USER_BLOCK_TYPES = ['text', 'image', 'tool_result'] as const;
export const ASSISTANT_BLOCK_TYPES = ['text', 'tool_use', 'thinking', 'redacted_thinking'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown, max = MAX_TEXT_CHARS): value is string => typeof value === 'string' && value.length <= max;

function isCacheControl(value: unknown): boolean {
  if (value === undefined) return true;
  return isRecord(value) && value.type === 'ephemeral' && (value.ttl === undefined || value.ttl === '5m' || value.ttl === '1h');
}

function isImageSource(value: unknown): boolean {
  if (!isRecord(value)) return false;
  if (value.type === 'url') return typeof value.url === 'string' && isRemoteUrl(value.url);
  return (
    value.type === 'base64' &&
    (IMAGE_MEDIA_TYPES as readonly unknown[]).includes(value.media_type) &&
    typeof value.data === 'string' &&
    /^[A-Za-z0-9+/]+={0,2}$/.test(value.data)
  );
}

const BLOCK_CHECKS: Record<Block['type'], (block: Record<string, unknown>) => boolean> = {
  text: (block) => isText(block.text),
  image: (block) => isImageSource(block.source),
  tool_use: (block) =>
    typeof block.id === 'string' &&
    ID.test(block.id) &&
    typeof block.name === 'string' &&
    TOOL_NAME.test(block.name) &&
    isRecord(block.input) &&
    JSON.stringify(block.input).length <= MAX_SCHEMA_CHARS,
  tool_result: (block) =>
    typeof block.tool_use_id === 'string' &&
    ID.test(block.tool_use_id) &&
    (block.is_error === undefined || typeof block.is_error === 'boolean') &&
    (block.content === undefined || isText(block.content) || isBlockList(block.content, ['text', 'image'])),
  thinking: (block) => isText(block.thinking) && typeof block.signature === 'string',
  redacted_thinking: (block) => typeof block.data === 'string',
};

/** 1 to MAX_BLOCKS blocks, each of one of `types` with its required fields. */
export function isBlockList(value: unknown, types: readonly Block['type'][]): value is Block[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_BLOCKS) return false;
  return value.every(
    (block) => isRecord(block) && types.includes(block.type as Block['type']) && isCacheControl(block.cache_control) && BLOCK_CHECKS[block.type as Block['type']](block),
  );
}

/** A block list's text, text blocks joined by newlines. */
export function blockText(content: string | (TextBlock | ImageBlock)[] | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
}

/** An image source as the URL the gateway's other APIs take: a data: URL for bytes. */
export function imageUrl(source: ImageSource): string {
  return source.type === 'url' ? source.url : `data:${source.media_type};base64,${source.data}`;
}
