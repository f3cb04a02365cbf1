import { ValidateBy, ValidationOptions } from 'class-validator';

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
