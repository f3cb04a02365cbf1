import { ValidationFailed } from '../errors/domain-error';

/**
 * How many objects and arrays may nest inside each other in a body or command payload. class-transformer
 * and class-validator recurse once per level, so a few thousand levels (a 4 KB body) overflow the stack;
 * 64 still leaves room for large JSON schemas (tool definitions) inside a request.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * How many values (objects, arrays, strings, numbers, booleans, nulls) a body or payload may hold.
 * class-transformer spends tens of microseconds on each, so the 250,000 that fit in a 1 MB body
 * would block the event loop for seconds; 10,000 leaves room for 500 chat messages of several text parts.
 */
export const MAX_JSON_VALUES = 10_000;

/**
 * NUL, which Postgres refuses in text and jsonb, and a UTF-16 surrogate without its pair, which is no
 * character at all (Postgres refuses it too; other systems mangle it). Neither can be stored, so neither
 * is accepted, in values or in keys.
 */
// eslint-disable-next-line no-control-regex -- NUL is one of the characters it is there to find
const UNSTORABLE_CHARACTER = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_CHARACTERS = new RegExp(UNSTORABLE_CHARACTER.source, 'g');

/**
 * Keys through which an object built by copying keys (class-transformer, a spread into a class
 * instance) would take another prototype or constructor. Nest's validation pipe would drop them
 * silently; they are refused instead, like any other key a body may not have.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const UNSTORABLE_MESSAGE = 'must not contain NUL characters (\\u0000) or unpaired UTF-16 surrogates';
const DEPTH_MESSAGE = `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`;
const RESERVED_KEY_MESSAGE = 'is not accepted: __proto__, constructor and prototype are reserved keys';
const SIZE_MESSAGE = `takes the body past ${MAX_JSON_VALUES} values (objects, arrays, strings, numbers, booleans, nulls)`;

/** A value still to look at, with what it sits in, so that its path is spelt out only when it is refused. */
interface Node {
  value: unknown;
  /** How many objects and arrays enclose the value. */
  depth: number;
  parent: Node | null;
  key: string;
}

/**
 * The fields of a parsed JSON value that break the rules above, as `{ "messages.3.content": [message] }`
 * (empty when there are none). Iterative, so its own depth costs nothing, and linear in the size of the
 * value; it stops at the object or array that holds one value too many, naming only that one.
 */
export function unsafeJsonFields(root: unknown): Record<string, string[]> {
  const fields = new Map<string, string[]>();
  const refuse = (node: Node, message: string) => {
    const path = pathOf(node);
    fields.set(path, [...(fields.get(path) ?? []), message]);
  };

  let values = 1;
  const pending: Node[] = [{ value: root, depth: 0, parent: null, key: '' }];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    const { value } = node;
    if (typeof value === 'string') {
      if (UNSTORABLE_CHARACTER.test(value)) refuse(node, UNSTORABLE_MESSAGE);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (node.depth >= MAX_JSON_DEPTH) {
      refuse(node, DEPTH_MESSAGE);
      continue;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    values += keys.length;
    if (values > MAX_JSON_VALUES) {
      refuse(node, SIZE_MESSAGE);
      break;
    }
    const children = keys.map((key): Node => ({ value: record[key], depth: node.depth + 1, parent: node, key }));
    if (!Array.isArray(value)) {
      for (const child of children) {
        if (UNSTORABLE_CHARACTER.test(child.key)) refuse(child, `keys ${UNSTORABLE_MESSAGE}`);
        if (RESERVED_KEYS.has(child.key)) refuse(child, RESERVED_KEY_MESSAGE);
      }
    }
    // Pushed last to first, so values are looked at (and their problems listed) in the order the body has them.
    for (let index = children.length - 1; index >= 0; index--) {
      const child = children[index];
      if (typeof child.value === 'string' || typeof child.value === 'object') pending.push(child);
    }
  }
  return Object.fromEntries(fields);
}

/** Refuses (400 `validation_failed`, naming each field) a body or payload that breaks the rules above. */
export function assertSafeJson(value: unknown): void {
  const fields = unsafeJsonFields(value);
  if (Object.keys(fields).length > 0) throw new ValidationFailed(fields);
}

/** `metadata.user_id`, `messages.3.content`; `body` for the value itself. Keys are shown with U+FFFD for what they may not hold. */
function pathOf(node: Node): string {
  const keys: string[] = [];
  for (let at: Node | null = node; at?.parent; at = at.parent) keys.push(at.key.replace(UNSTORABLE_CHARACTERS, '\uFFFD'));
  return keys.length === 0 ? 'body' : keys.reverse().join('.');
}
