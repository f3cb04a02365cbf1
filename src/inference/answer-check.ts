import Ajv, { ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import { createHash } from 'node:crypto';
import { ValidationFailed } from '../common/errors/domain-error';
import { ResponseFormat } from '../providers/provider.types';

/**
 * The gateway's own check that an answer has the form `response_format` asked for, whatever the
 * provider promised: JSON for `json_object`, JSON matching the schema for `json_schema`. A failed
 * check is a retryable failure of that model (the request falls back, and the model's score for
 * the task records it).
 *
 * Schemas come from callers, so what ajv runs is bounded: `pattern`, `patternProperties` and
 * `format` are not checked here (a caller's regular expression, run by the gateway on an answer the
 * caller can steer, could take unbounded time); providers still get the schema whole. Compiled
 * validators are kept per schema, a bounded number of them.
 */

/** Returns null when the answer has the required form, else why not. */
export type AnswerCheck = (content: string) => string | null;

const MAX_COMPILED = 256;
const UNCHECKED_KEYWORDS = new Set(['pattern', 'patternProperties', 'format']);

const AJV_OPTIONS = { strict: false, allErrors: false, validateFormats: false, validateSchema: true };
/** Draft 2020-12 (zod's and OpenAI's dialect) unless the schema names an older draft. */
const ajv2020 = new Ajv2020(AJV_OPTIONS);
const ajvDraft7 = new Ajv(AJV_OPTIONS);
const OLDER_DRAFT = /json-schema\.org\/draft-0[4-7]\/schema/;
const compiled = new Map<string, ValidateFunction>();

export function answerCheckFor(format: ResponseFormat | undefined): AnswerCheck | null {
  if (!format || format.type === 'text') return null;
  if (format.type === 'json_object') return (content) => jsonProblem(content, (value) => (isObject(value) ? null : 'the answer is JSON but not an object'));
  const validate = validatorFor(format.schema);
  return (content) => jsonProblem(content, (value) => (validate(value) ? null : `the answer does not match the schema: ${describe(validate)}`));
}

function jsonProblem(content: string, check: (value: unknown) => string | null): string | null {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return `the answer is not JSON: ${JSON.stringify(content.slice(0, 80))}`;
  }
  return check(value);
}

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = createHash('sha256').update(JSON.stringify(schema)).digest('base64');
  const cached = compiled.get(key);
  if (cached) {
    // Least recently used goes first: re-inserting moves this one to the end.
    compiled.delete(key);
    compiled.set(key, cached);
    return cached;
  }
  let validate: ValidateFunction;
  try {
    const ajv = typeof schema.$schema === 'string' && OLDER_DRAFT.test(schema.$schema) ? ajvDraft7 : ajv2020;
    validate = ajv.compile(withoutUnchecked(schema) as Record<string, unknown>);
  } catch (error) {
    throw new ValidationFailed({ 'response_format.json_schema.schema': [`is not a valid JSON Schema: ${(error as Error).message}`] });
  }
  compiled.set(key, validate);
  if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  return validate;
}

/**
 * A copy without the keywords this check leaves to the provider; `$id`s are dropped so that ajv
 * never sees one twice, and `$schema` once the dialect is chosen (ajv would look the URL up).
 */
function withoutUnchecked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUnchecked);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !UNCHECKED_KEYWORDS.has(key) && key !== '$id' && key !== 'id' && key !== '$schema')
      .map(([key, child]) => [key, key === 'properties' || key === '$defs' || key === 'definitions' ? mapValues(child) : withoutUnchecked(child)]),
  );
}

/** Under `properties` and `$defs` the keys are names, not keywords: a property may be called `pattern`. */
function mapValues(value: unknown): unknown {
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([name, child]) => [name, withoutUnchecked(child)]));
}

function describe(validate: ValidateFunction): string {
  const error = validate.errors?.[0];
  if (!error) return 'invalid';
  return `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
