import { ValidateBy, ValidationOptions } from 'class-validator';

/** A text content part of a chat message, the only kind this gateway serves. */
export interface TextPart {
  type: 'text';
  text: string;
}

export type MessageContent = string | TextPart[];

function isTextPart(value: unknown): value is TextPart {
  if (typeof value !== 'object' || value === null) return false;
  const part = value as Record<string, unknown>;
  return part.type === 'text' && typeof part.text === 'string';
}

/** The text a model reads from a message's content; text parts are joined by newlines. */
export function contentText(content: MessageContent): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('\n');
}

/**
 * OpenAI's message `content`: a string, or an array of `{ "type": "text", "text" }` parts.
 * Image, audio and file parts are refused rather than dropped, so a caller never gets an answer
 * to a question it did not ask.
 */
export function IsMessageContent(maxLength: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isMessageContent',
      validator: {
        validate: (value: unknown) => {
          const valid = typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every(isTextPart));
          if (!valid) return false;
          const text = contentText(value);
          return text.length > 0 && text.length <= maxLength;
        },
        defaultMessage: () =>
          `$property must be a non-empty string or array of {"type": "text", "text"} parts, at most ${maxLength} characters ` +
          '(image, audio and file parts are not supported)',
      },
    },
    options,
  );
}

/**
 * A string, or an array of strings (`minItems`..`maxItems`), each non-empty and at most
 * `maxLength` characters. Token-id arrays (`[[1, 2]]`) are refused: ids only mean something to
 * one tokenizer, and the router may pick a model with another.
 */
export function IsTextInput(limits: { minItems: number; maxItems: number; maxLength: number }, options?: ValidationOptions): PropertyDecorator {
  const isText = (value: unknown): boolean => typeof value === 'string' && value.length > 0 && value.length <= limits.maxLength;
  return ValidateBy(
    {
      name: 'isTextInput',
      validator: {
        validate: (value: unknown) =>
          isText(value) ||
          (Array.isArray(value) && value.length >= limits.minItems && value.length <= limits.maxItems && value.every(isText)),
        defaultMessage: () =>
          `$property must be a non-empty string or an array of ${limits.minItems === limits.maxItems ? limits.maxItems : `${limits.minItems} to ${limits.maxItems}`} ` +
          `such strings, each at most ${limits.maxLength} characters (token arrays are not supported)`,
      },
    },
    options,
  );
}

/** Text input as a list, whichever form it came in. */
export function textList(input: string | string[]): string[] {
  return typeof input === 'string' ? [input] : input;
}
