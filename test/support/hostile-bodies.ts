import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

/**
 * Malformed request bodies, generated per endpoint from a description of its fields: wrong types,
 * NUL and lone surrogates, deep nesting, huge collections and numbers, broken encodings. Each case says
 * what the service must answer; the hostile-input e2e spec sends them all.
 */

/** A JSON literal that JSON.stringify cannot write (1e400, NaN, 2^64 exactly). */
export class Raw {
  constructor(readonly literal: string) {}
}

export type FieldKind =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'object'
  | 'objectArray'
  | 'stringArray'
  | 'emptyArray'
  | 'freeObject'
  | 'scoreMap'
  | 'textInput'
  | 'messageContent';

export interface Field {
  /** Dotted path, as the service names it in errors: `metadata.user_id`, `messages.0.content`. */
  path: string;
  kind: FieldKind;
  required?: boolean;
  /** A number without an upper bound: 2^64 is a valid value, only non-finite ones are not. */
  unbounded?: boolean;
}

export interface Endpoint {
  path: string;
  family: 'api' | 'v1';
  headers?: Record<string, string>;
  /** A valid body, or null for an endpoint that takes none. */
  valid: Record<string, unknown> | null;
  fields: Field[];
  /** A valid element of each array field, to make 5,000 of. */
  longArrays?: Record<string, unknown>;
}

export interface Expectation {
  status: number;
  code: string;
  /** The field (or a prefix of it) the error must name. */
  field?: string;
}

export interface HostileCase {
  name: string;
  endpoint: Endpoint;
  body: string | Buffer;
  headers?: Record<string, string>;
  expect: Expectation;
}

const invalid = (field?: string): Expectation => ({ status: 400, code: 'validation_failed', field });
const unsupported = (field: string): Expectation => ({ status: 415, code: 'unsupported_media_type', field });
const tooLarge: Expectation = { status: 400, code: 'payload_too_large', field: 'body' };

const NUMBER_WRONGS = ['0.5', true, [], {}, new Raw('1e400'), new Raw('-1e400')];
const HUGE_NUMBERS = [new Raw('18446744073709551616'), new Raw('1e308')];

const WRONG_VALUES: Record<FieldKind, unknown[]> = {
  string: [123, true, [], {}, ['x']],
  number: NUMBER_WRONGS,
  integer: ['8', true, [], {}, 1.5, new Raw('1e400'), ...HUGE_NUMBERS],
  boolean: ['true', 1, 0, [], {}],
  object: [1, 'x', true, [], [{}]],
  objectArray: [{}, 'x', 1, [1], ['x'], [[]], [null]],
  stringArray: ['x', {}, 1, [1], [['x']], [{}], [null]],
  emptyArray: [{}, 'x', [{}]],
  freeObject: [1, 'x', true, []],
  scoreMap: [[], 'x', { general: 2 }, { general: 'x' }, { 'Not An Identifier': 0.5 }],
  textInput: [1, true, {}, [], [1], [[1, 2]]],
  messageContent: [
    1,
    true,
    {},
    [],
    [1],
    [{ type: 'text' }],
    [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }],
    [{ type: 'image_url', image_url: { url: 'data:text/html;base64,PGI+' } }],
    [{ type: 'image_url', image_url: 'https://x/y.png' }],
    [{ type: 'text', text: 'x', cache_control: { type: 'forever' } }],
    [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }],
  ],
};

/** Strings no store can keep: NUL, and UTF-16 surrogates without their pair (sent escaped, as JSON.stringify writes them). */
export const UNSTORABLE_STRINGS = ['a\u0000b', '\u0000', '\ud800', 'x\udc00', '\udc00\ud800'];
const UNSTORABLE_KEYS = ['k\u0000', '\ud800k'];
/** How the service shows such a key in a field path. */
const shownKey = (key: string) => key.replaceAll('\u0000', '\uFFFD').replace(/[\ud800-\udfff]/g, '\uFFFD');

/** Byte sequences that are not UTF-8: a stray continuation byte, an invalid lead byte, an overlong '/', an encoded surrogate. */
const INVALID_UTF8 = [[0x80], [0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xc3]];

const BOMB = gzipSync(Buffer.alloc(50 * 1024 * 1024));

export function casesFor(endpoint: Endpoint): HostileCase[] {
  return [...bodyLevelCases(endpoint), ...(endpoint.valid ? fieldCases(endpoint, endpoint.valid) : [])];
}

/** What any endpoint refuses, whether or not it reads a body. */
function bodyLevelCases(endpoint: Endpoint): HostileCase[] {
  const make = (name: string, body: string | Buffer, expectation: Expectation, headers?: Record<string, string>): HostileCase => ({
    name,
    endpoint,
    body,
    headers,
    expect: expectation,
  });
  const sample = JSON.stringify(endpoint.valid ?? { note: 'no body expected', list: [1, 2, 3] });
  const utf8Body = (bytes: number[]) => Buffer.concat([Buffer.from('{"note": "a'), Buffer.from(bytes), Buffer.from('b"}')]);
  const cases: HostileCase[] = [
    make('arrays nested 10,000 deep', nested('[', ']', 10_000), invalid()),
    make('objects nested 10,000 deep', nested('{"a":', '}', 10_000, '{}'), invalid('a.a.a')),
    make('NaN', '{"note": NaN}', invalid('body')),
    make('Infinity', '{"note": Infinity}', invalid('body')),
    make('-Infinity', '{"note": -Infinity}', invalid('body')),
    make('a bare string', '"just a string"', invalid('body')),
    make('a bare number', '42', invalid('body')),
    make('null', 'null', invalid('body')),
    make('single quotes', "{'note': 1}", invalid('body')),
    make('a trailing comma', '{"note": 1,}', invalid('body')),
    make('a comment', '{"note": 1 /* hi */}', invalid('body')),
    make('a NUL value', '{"note": "\\u0000"}', invalid('note')),
    make('a lone surrogate value', '{"note": "\\ud800"}', invalid('note')),
    make('a NUL key', '{"\\u0000": 1}', invalid('\uFFFD')),
    make('a lone surrogate key', '{"\\udfff": 1}', invalid('\uFFFD')),
    make('a raw NUL byte in a string', Buffer.from('{"note": "a\u0000b"}'), invalid('body')),
    make('a body over the limit', JSON.stringify({ note: 'x'.repeat(1_100_000) }), tooLarge),
    make('a gzip bomb of 50 MB of zeros', BOMB, tooLarge, { 'content-encoding': 'gzip' }),
    make('gzip of garbage', Buffer.from('this is not gzip at all'), invalid('body'), { 'content-encoding': 'gzip' }),
    make('deflate of garbage', Buffer.from('this is not deflate at all'), invalid('body'), { 'content-encoding': 'deflate' }),
    make('br of garbage', Buffer.from('this is not brotli at all!'), invalid('body'), { 'content-encoding': 'br' }),
    make('gzip cut short', gzipSync(Buffer.from(sample)).subarray(0, 12), invalid('body'), { 'content-encoding': 'gzip' }),
    make('gzip of invalid JSON', gzipSync(Buffer.from('{"note": ')), invalid('body'), { 'content-encoding': 'gzip' }),
    make('deflate of a NUL value', deflateSync(Buffer.from('{"note": "\\u0000"}')), invalid('note'), { 'content-encoding': 'deflate' }),
    make('br of arrays nested 10,000 deep', brotliCompressSync(Buffer.from(nested('[', ']', 10_000))), invalid(), { 'content-encoding': 'br' }),
    ...['zstd', 'compress', 'x-unknown', 'gzip, br', 'identity, gzip'].map((encoding) =>
      make(`Content-Encoding: ${encoding}`, Buffer.from(sample), unsupported('Content-Encoding'), { 'content-encoding': encoding }),
    ),
    ...['utf-7', 'utf-16', 'utf-32', 'iso-8859-1', 'x-unknown'].map((charset) =>
      make(`charset=${charset}`, Buffer.from(sample), unsupported('Content-Type'), { 'content-type': `application/json; charset=${charset}` }),
    ),
    ...['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json-patch+json'].map(
      (type) => make(`Content-Type: ${type}`, Buffer.from(sample), unsupported('Content-Type'), { 'content-type': type }),
    ),
    make('no Content-Type', Buffer.from(sample), unsupported('Content-Type'), { 'content-type': '' }),
    ...INVALID_UTF8.map((bytes) => make(`invalid UTF-8 ${Buffer.from(bytes).toString('hex')}`, utf8Body(bytes), invalid('body'))),
    ...[3, Math.floor(sample.length / 2), sample.length - 1].map((at) => make(`JSON cut at ${at} characters`, sample.slice(0, at), invalid('body'))),
  ];
  // A body the endpoint does not read is no error by itself: 100,000 keys are refused only where they are fields.
  if (endpoint.valid) cases.push(make('an object of 100,000 keys', serialize(manyKeysObject(100_000)), invalid()));
  return cases;
}

/** What an endpoint that reads a body refuses, field by field. */
function fieldCases(endpoint: Endpoint, valid: Record<string, unknown>): HostileCase[] {
  const make = (name: string, body: string, expectation: Expectation): HostileCase => ({ name, endpoint, body, expect: expectation });
  const withWrong = (name: string, path: string, value: unknown, expectation: Expectation) =>
    make(name, serialize(withValue(valid, path, value)), expectation);
  const cases: HostileCase[] = [make('an empty object', '{}', invalid()), make('no content', '', invalid()), make('a JSON array', serialize([valid]), invalid())];

  for (const field of endpoint.fields) {
    const wrongs = [...WRONG_VALUES[field.kind], ...(field.required ? [null] : [])].filter(
      (value) => !(field.unbounded && value instanceof Raw && HUGE_NUMBERS.includes(value)),
    );
    for (const value of wrongs) cases.push(withWrong(`${field.path} = ${describe(value)}`, field.path, value, invalid(field.path)));

    for (const text of UNSTORABLE_STRINGS) {
      const place = UNSTORABLE_PLACEMENT[field.kind];
      if (place) cases.push(withWrong(`${field.path} holding ${describe(text)}`, field.path, place(text), invalid(field.path)));
    }
  }

  for (const parent of ['', ...endpoint.fields.filter((f) => f.kind === 'object' || f.kind === 'freeObject').map((f) => f.path)]) {
    for (const key of UNSTORABLE_KEYS) {
      const path = parent ? `${parent}.${key}` : key;
      cases.push(withWrong(`key ${describe(path)}`, path, 1, invalid(parent ? `${parent}.${shownKey(key)}` : shownKey(key))));
    }
  }

  for (const [path, element] of Object.entries(endpoint.longArrays ?? {})) {
    cases.push(withWrong(`${path} with 5,000 items`, path, Array.from({ length: 5000 }, () => element), invalid(path)));
  }

  const firstObject = endpoint.fields.find((f) => f.kind === 'object' || f.kind === 'freeObject');
  if (firstObject) {
    cases.push(withWrong(`${firstObject.path} nested 2,000 deep`, firstObject.path, deepObject(2000), invalid(firstObject.path)));
    if (endpoint.family === 'api') {
      cases.push(withWrong(`${firstObject.path} with 100,000 keys`, firstObject.path, manyKeysObject(100_000), invalid(firstObject.path)));
    }
  }

  const required = endpoint.fields.filter((f) => f.required && !f.path.includes('.'));
  for (const field of required) {
    const rest = withValue(valid, field.path, undefined);
    const stolen = { [field.path]: valid[field.path] };
    cases.push(
      make(`${field.path} smuggled in __proto__`, withProperty(rest, '__proto__', stolen), invalid('__proto__')),
      make(`${field.path} smuggled in constructor.prototype`, serialize({ ...rest, constructor: { prototype: stolen } }), invalid('constructor')),
    );
  }
  cases.push(
    make('an extra __proto__ key', withProperty(valid, '__proto__', { polluted: true }), invalid('__proto__')),
    make('an extra constructor key', serialize({ ...valid, constructor: {} }), invalid('constructor')),
    make('an extra prototype key', serialize({ ...valid, prototype: null }), invalid('prototype')),
  );

  // JSON.parse keeps the last of duplicate keys; so must validation.
  for (const field of endpoint.fields.filter((f) => !f.path.includes('.')).slice(0, 3)) {
    cases.push(make(`${field.path} given twice, the last wrong`, withProperty(valid, field.path, WRONG_VALUES[field.kind][0]), invalid(field.path)));
  }
  return cases;
}

/** Where an unstorable string goes in a field of each kind that holds text. */
const UNSTORABLE_PLACEMENT: Partial<Record<FieldKind, (text: string) => unknown>> = {
  string: (text) => text,
  textInput: (text) => text,
  messageContent: (text) => text,
  stringArray: (text) => [text],
  freeObject: (text) => ({ note: text }),
};

function nested(open: string, close: string, depth: number, innermost = ''): string {
  return open.repeat(depth) + innermost + close.repeat(depth);
}

function deepObject(depth: number): unknown {
  let value: unknown = {};
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

/** Short keys, so that 100,000 of them fit in the 1 MB body limit. */
function manyKeysObject(count: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [i.toString(36), 0]));
}

/** A copy of `body` with `path` set (`undefined` removes it); objects on the way are created. */
export function withValue(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = splitPath(path);
  let at: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

/** Keys may hold dots only in these tests' unstorable keys, which never contain one. */
function splitPath(path: string): string[] {
  return path.split('.');
}

/** JSON with Raw literals written as they are. */
export function serialize(body: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_key, value: unknown) => {
    if (!(value instanceof Raw)) return value;
    raws.push(value.literal);
    return `@@raw${raws.length - 1}@@`;
  });
  return text.replace(/"@@raw(\d+)@@"/g, (_match, index: string) => raws[Number(index)]);
}

/** `{...body, "<key>": value}` written as text: an object literal cannot have an own `__proto__` key, nor one twice. */
function withProperty(body: Record<string, unknown>, key: string, value: unknown): string {
  const text = serialize(body);
  return `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${JSON.stringify(key)}:${serialize(value)}}`;
}

function describe(value: unknown): string {
  if (value instanceof Raw) return value.literal;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
