import { ValidateBy, ValidationOptions } from 'class-validator';

/** An object whose keys are lower-case identifiers and whose values are numbers from 0 to 1. */
export function IsScoreMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isScoreMap',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.entries(value).every(
            ([key, score]) => IDENTIFIER.test(key) && typeof score === 'number' && score >= 0 && score <= 1,
          ),
        defaultMessage: () => '$property must map lower-case task types to numbers from 0 to 1',
      },
    },
    options,
  );
}

/** Capabilities and task types: free lower-case identifiers (SPEC 'Decisions'). */
export const IDENTIFIER = /^[a-z][a-z0-9_]{0,63}$/;
