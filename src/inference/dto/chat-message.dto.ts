import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsDefined, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateBy, ValidateIf, ValidationArguments } from 'class-validator';
import { IsNestedDto } from '../../common/validation/is-nested-dto';
import { CHAT_ROLES, ChatRole } from '../../providers/provider.types';
import { CacheControlDto, MAX_TOOL_CALLS, ToolCallDto } from './tools.dto';

/**
 * A chat message as `/api/models/chat` and `/v1/chat/completions` take it: OpenAI's shape, with
 * tool calls, tool results and image parts. `ChatMessageDto` here; the `/v1` message adds the
 * `developer` role.
 */

export const MAX_TEXT_CHARS = 400_000;
export const MAX_PARTS = 100;
export const MAX_IMAGE_URL_CHARS = 8192;
export const IMAGE_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
const DATA_URL = /^data:(image\/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/]+={0,2})$/;

export interface TextPartInput {
  type: 'text';
  text: string;
  cache_control?: CacheControlDto;
}

export interface ImagePartInput {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
  cache_control?: CacheControlDto;
}

export type ContentPartInput = TextPartInput | ImagePartInput;
export type MessageContent = string | ContentPartInput[];

/** The media type and base64 bytes of a `data:` image URL, or null when it is not one. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  const match = DATA_URL.exec(url);
  return match ? { mediaType: match[1], data: match[2] } : null;
}

/** Whether `url` is an http(s) URL the gateway may pass on (it never fetches one itself). */
export function isRemoteUrl(url: string): boolean {
  if (url.length > MAX_IMAGE_URL_CHARS || !/^https?:\/\//i.test(url)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

function isCacheControl(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'object' || value === null) return false;
  const { type, ttl, ...rest } = value as Record<string, unknown>;
  return type === 'ephemeral' && (ttl === undefined || ttl === '5m' || ttl === '1h') && Object.keys(rest).length === 0;
}

function isPart(value: unknown, role: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const part = value as Record<string, unknown>;
  if (!isCacheControl(part.cache_control)) return false;
  if (part.type === 'text') return typeof part.text === 'string';
  if (part.type !== 'image_url' || role !== 'user') return false;
  const image = part.image_url as Record<string, unknown> | undefined;
  if (typeof image !== 'object' || image === null || typeof image.url !== 'string') return false;
  if (image.detail !== undefined && !['auto', 'low', 'high'].includes(image.detail as string)) return false;
  return parseDataUrl(image.url) !== null || isRemoteUrl(image.url);
}

/** The text a model reads from a message's content; text parts are joined by newlines. */
export function contentText(content: MessageContent | null | undefined): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
}

/**
 * `content`: a string, or an array of text and (user messages only) `image_url` parts whose URL is
 * a base64 `data:` URL of a PNG, JPEG, GIF or WebP image, or an http(s) URL. It may be empty or
 * null only where a message says something without text: an assistant message with tool calls, or
 * a tool result.
 */
export function IsChatContent(maxLength: number): PropertyDecorator {
  return ValidateBy({
    name: 'isChatContent',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => {
        const message = (args?.object ?? {}) as { role?: unknown; tool_calls?: unknown[] };
        const mayBeEmpty = message.role === 'tool' || (message.role === 'assistant' && Array.isArray(message.tool_calls) && message.tool_calls.length > 0);
        if (value === null || value === undefined) return mayBeEmpty;
        const valid = typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.length <= MAX_PARTS && value.every((part) => isPart(part, message.role)));
        if (!valid) return false;
        const text = contentText(value as MessageContent);
        const hasImage = Array.isArray(value) && value.some((part: { type?: unknown }) => part.type === 'image_url');
        return (text.length > 0 || hasImage || mayBeEmpty) && text.length <= maxLength;
      },
      defaultMessage: () =>
        `$property must be a non-empty string or an array of 1 to ${MAX_PARTS} parts, at most ${maxLength} characters of text: ` +
        '{"type": "text", "text"} or, in user messages, {"type": "image_url", "image_url": {"url"}} with a base64 data: URL ' +
        `(${IMAGE_MEDIA_TYPES.join(', ')}) or an http(s) URL; null or empty only for tool results and assistant messages with tool_calls`,
    },
  });
}

/** Tool calls belong to assistant messages. */
function OnlyOnAssistant(): PropertyDecorator {
  return ValidateBy({
    name: 'onlyOnAssistant',
    validator: {
      validate: (_value: unknown, args?: ValidationArguments) => (args?.object as { role?: unknown }).role === 'assistant',
      defaultMessage: () => '$property is only allowed on assistant messages',
    },
  });
}

const CONTENT_SCHEMA = {
  oneOf: [
    { type: 'string' },
    {
      type: 'array',
      maxItems: MAX_PARTS,
      items: {
        oneOf: [
          { type: 'object', required: ['type', 'text'], properties: { type: { type: 'string', enum: ['text'] }, text: { type: 'string' } } },
          {
            type: 'object',
            required: ['type', 'image_url'],
            properties: {
              type: { type: 'string', enum: ['image_url'] },
              image_url: { type: 'object', required: ['url'], properties: { url: { type: 'string' }, detail: { type: 'string', enum: ['auto', 'low', 'high'] } } },
            },
          },
        ],
      },
    },
  ],
  nullable: true,
} as ApiPropertyOptions;

/** Everything but `role`, whose allowed values differ between the two APIs. */
export abstract class ChatMessageFieldsDto {
  abstract role: string;

  @ApiProperty({ ...CONTENT_SCHEMA, example: 'Explain recursion in one sentence.', description: 'A string, or text and image parts (text parts are joined by newlines)' })
  @IsChatContent(MAX_TEXT_CHARS)
  content: MessageContent | null;

  @ApiPropertyOptional({ type: [ToolCallDto], description: 'Assistant messages: the tool calls the model made, sent back with the conversation' })
  @IsOptional()
  @OnlyOnAssistant()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TOOL_CALLS)
  @IsNestedDto(() => ToolCallDto, { each: true })
  tool_calls?: ToolCallDto[];

  @ApiPropertyOptional({ example: 'call_abc123', description: 'Tool messages: the id of the call this is the result of (required)' })
  @ValidateIf((message: ChatMessageFieldsDto) => message.role === 'tool' || message.tool_call_id !== undefined)
  @IsDefined({ message: 'tool_call_id is required on tool messages' })
  @IsString()
  @Matches(/^[\x21-\x7e]{1,256}$/, { message: 'tool_call_id must be 1-256 printable ASCII characters without spaces' })
  tool_call_id?: string;

  @ApiPropertyOptional({ type: CacheControlDto, description: 'Anthropic only: cache the prompt up to and including this message' })
  @IsOptional()
  @IsNestedDto(() => CacheControlDto)
  cache_control?: CacheControlDto;

  @ApiPropertyOptional({ description: "A participant's name: accepted and not used" })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  name?: string;
}

export class ChatMessageDto extends ChatMessageFieldsDto {
  @ApiProperty({ enum: CHAT_ROLES, example: 'user' })
  @IsIn(CHAT_ROLES)
  role: ChatRole;
}
