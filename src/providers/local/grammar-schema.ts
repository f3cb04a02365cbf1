import type { GbnfJsonSchema } from 'node-llama-cpp';
import { ProviderError, ProviderErrorCode } from '../provider-error';

/**
 * A caller's JSON Schema in the form node-llama-cpp's grammar builder takes (`GbnfJsonSchema`).
 *
 * The builder knows `type`, `const`, `enum`, `oneOf`, objects (`properties`, `additionalProperties`,
 * `min/maxProperties`), arrays (`items`, `prefixItems`, `min/maxItems`), strings (`min/maxLength`,
 * `format` date-time, date or time) and `$ref`s into the root's `$defs`. It never throws for the
 * rest but misreads it: a schema without `type` becomes `null`, `anyOf` and `type: [..., 'object']`
 * lose their objects, `pattern` or `minimum` are skipped. So the schema is rewritten first:
 * `anyOf` becomes `oneOf` (a value matching one alternative matches both), a type list becomes one
 * alternative per type, a missing `type` is inferred from the keywords present (or any JSON value
 * when none tell), `definitions` join `$defs`, and every property is written (the builder writes
 * them all, so a required one absent from `properties` is added as any value).
 *
 * What a grammar cannot enforce (`pattern`, `minimum`, `allOf`, other formats, ...) is ignored, even
 * under `strict`: the gateway checks every answer against the whole schema (`answer-check.ts`) and
 * falls back when it does not match, which a refusal here would prevent (zod's schemas, for one,
 * always carry integer bounds).
 */
export function grammarSchema(schema: unknown, { label }: SchemaOptions): GbnfJsonSchema {
  if (!isRecord(schema)) return new Translation(label, new Set()).value(schema, '#');
  const defs = { ...recordOrEmpty(schema.definitions), ...recordOrEmpty(schema.$defs) };
  const translation = new Translation(label, new Set(Object.keys(defs)));
  const root = translation.value(schema, '#');
  if (Object.keys(defs).length === 0) return root;
  const $defs = Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, translation.value(def, `#/$defs/${name}`)]));
  // The builder reads `$defs` beside a `$ref`, `oneOf`, object or array: a root of another kind refers to none.
  return { ...root, $defs } as GbnfJsonSchema;
}

export interface SchemaOptions {
  /** What the schema is, for messages: `the response_format schema`, `tool f's parameters`. */
  label: string;
}

type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';
type Literal = string | number | boolean | null;

const FORMATS = new Set(['date-time', 'date', 'time']);

/** The keywords each type's grammar honours (`type` itself aside), by which a schema without `type` tells its type. */
const TYPE_KEYWORDS: Record<JsonType, readonly string[]> = {
  object: ['properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties'],
  array: ['items', 'prefixItems', 'minItems', 'maxItems'],
  string: ['minLength', 'maxLength', 'format'],
  number: [],
  integer: [],
  boolean: [],
  null: [],
};

const ANY_VALUE: GbnfJsonSchema = {
  oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'object', additionalProperties: true }, { type: 'array' }],
};

class Translation {
  constructor(
    private readonly label: string,
    private readonly defNames: ReadonlySet<string>,
  ) {}

  value(schema: unknown, at: string): GbnfJsonSchema {
    if (schema === true) return ANY_VALUE;
    if (schema === false) throw this.refusal(`accepts no value at ${at}`);
    if (!isRecord(schema)) throw this.refusal(`is not a JSON schema at ${at}`);
    if (schema.$ref !== undefined) return this.ref(schema.$ref);
    const alternatives = schema.oneOf !== undefined ? 'oneOf' : schema.anyOf !== undefined ? 'anyOf' : null;
    if (alternatives) return this.oneOf(schema[alternatives], `${at}/${alternatives}`);
    if (schema.const !== undefined) return { const: this.literal(schema.const, at) };
    if (schema.enum !== undefined) return this.enumOf(schema.enum, at);
    const types = this.typesOf(schema, at);
    if (types.length === 0) return ANY_VALUE;
    return types.length === 1 ? this.typed(schema, types[0], at) : { oneOf: types.map((type) => this.typed(schema, type, at)) };
  }


  private typed(schema: Record<string, unknown>, type: JsonType, at: string): GbnfJsonSchema {
    switch (type) {
      case 'object':
        return this.object(schema, at);
      case 'array':
        return this.array(schema, at);
      case 'string':
        if (typeof schema.format === 'string' && FORMATS.has(schema.format)) {
          // A formatted string's grammar has its own length.
          return { type: 'string', format: schema.format as 'date-time' | 'date' | 'time' };
        }
        return { type: 'string', minLength: optionalCount(schema.minLength), maxLength: optionalCount(schema.maxLength) };
      case 'number':
      case 'integer':
      case 'boolean':
      case 'null':
        return { type };
    }
  }

  private object(schema: Record<string, unknown>, at: string): GbnfJsonSchema {
    const properties: Record<string, GbnfJsonSchema> = {};
    for (const [name, property] of Object.entries(recordOrEmpty(schema.properties))) {
      properties[name] = this.value(property, `${at}/properties/${name}`);
    }
    const required = Array.isArray(schema.required) ? schema.required.filter((name) => typeof name === 'string') : [];
    for (const name of required) properties[name] ??= ANY_VALUE;
    const extra = schema.additionalProperties;
    return {
      type: 'object',
      properties,
      additionalProperties: extra === undefined || typeof extra === 'boolean' ? extra : this.value(extra, `${at}/additionalProperties`),
      minProperties: optionalCount(schema.minProperties),
      maxProperties: optionalCount(schema.maxProperties),
    };
  }

  private array(schema: Record<string, unknown>, at: string): GbnfJsonSchema {
    const prefix = Array.isArray(schema.prefixItems)
      ? schema.prefixItems.map((item, index) => this.value(item, `${at}/prefixItems/${index}`))
      : undefined;
    const { items } = schema;
    return {
      type: 'array',
      prefixItems: prefix,
      items: items === undefined || typeof items === 'boolean' || Array.isArray(items) ? undefined : this.value(items, `${at}/items`),
      minItems: optionalCount(schema.minItems),
      // `items: false`: nothing after the prefix.
      maxItems: items === false ? (prefix?.length ?? 0) : optionalCount(schema.maxItems),
    };
  }

  private ref(ref: unknown): GbnfJsonSchema {
    const name = typeof ref === 'string' ? /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(ref)?.[1] : undefined;
    if (name !== undefined && this.defNames.has(name)) return { $ref: `#/$defs/${name}` } as GbnfJsonSchema;
    // Only references to the root's definitions resolve; the rest could be anything.
    return ANY_VALUE;
  }

  private oneOf(alternatives: unknown, at: string): GbnfJsonSchema {
    if (!Array.isArray(alternatives) || alternatives.length === 0) throw this.refusal(`has no alternatives at ${at}`);
    return { oneOf: alternatives.map((alternative, index) => this.value(alternative, `${at}/${index}`)) };
  }

  private enumOf(values: unknown, at: string): GbnfJsonSchema {
    if (!Array.isArray(values) || values.length === 0) throw this.refusal(`has an empty enum at ${at}`);
    return { enum: values.map((value) => this.literal(value, at)) };
  }

  /** Objects and arrays as `const` or `enum` values are beyond the builder, strict or not. */
  private literal(value: unknown, at: string): Literal {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value as Literal;
    throw this.refusal(`has an object or array as a const or enum value at ${at}, which a local model cannot enforce`);
  }

  private typesOf(schema: Record<string, unknown>, at: string): JsonType[] {
    const { type } = schema;
    if (type === undefined) {
      // Without a type any value is allowed; the keywords present say which kind the caller expects.
      return (['object', 'array', 'string'] as const).filter((kind) => TYPE_KEYWORDS[kind].some((keyword) => keyword in schema));
    }
    const types = Array.isArray(type) ? type : [type];
    for (const each of types) if (!(typeof each === 'string' && each in TYPE_KEYWORDS)) throw this.refusal(`has an unknown type ${JSON.stringify(each)} at ${at}`);
    if (types.length === 0) throw this.refusal(`has an empty type list at ${at}`);
    return [...new Set(types as JsonType[])];
  }

  private refusal(problem: string): ProviderError {
    return new ProviderError(ProviderErrorCode.BadRequest, `${capitalized(this.label)} ${problem}`);
  }
}

function optionalCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function recordOrEmpty(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
