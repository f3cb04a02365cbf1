import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailed } from '../errors/domain-error';

/** Flattens class-validator's tree into `{ "a.b.0.c": [messages] }`, naming every offending field. */
export function fieldErrors(errors: ValidationError[], parent = ''): Record<string, string[]> {
  // No prototype: field paths are the caller's own keys.
  const fields = Object.create(null) as Record<string, string[]>;
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) fields[path] = Object.values(error.constraints);
    Object.assign(fields, fieldErrors(error.children ?? [], path));
  }
  return fields;
}

/** One pipe for HTTP bodies, query strings and Redis command payloads. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new ValidationFailed(fieldErrors(errors)),
  });
}
