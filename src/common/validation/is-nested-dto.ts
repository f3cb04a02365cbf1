import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsObject, ValidateNested } from 'class-validator';

type DtoClass = new (...args: never[]) => object;

/**
 * A property holding a `dto` (with `each`, an array of them) validated by the DTO's own rules, and only
 * ever an object: ValidateNested alone walks an array it is given for one object (`"metadata": []`
 * passes, with no rule run) and arrays nested in an array of objects.
 */
export function IsNestedDto(dto: () => DtoClass, options: { each?: boolean } = {}): PropertyDecorator {
  const each = options.each === true;
  return applyDecorators(
    ...(each ? [IsArray()] : []),
    IsObject({ each, message: each ? 'each item of $property must be an object' : '$property must be an object' }),
    ValidateNested({ each }),
    Type(dto),
  );
}
