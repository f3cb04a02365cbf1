/** What Postgres refuses in jsonb, as JSON.stringify writes it: the NUL escape and lone UTF-16 surrogates. */
const UNSTORABLE = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * JSON for a jsonb parameter. Postgres refuses `\u0000` and lone surrogates in jsonb, and text a
 * provider produced may hold either: they become U+FFFD (keys too) instead of failing the write of
 * an outcome the provider was already paid for. Callers' own text is refused at the edge instead.
 */
export function toJsonb(value: unknown): string {
  const json = JSON.stringify(value);
  if (!UNSTORABLE.test(json)) return json;
  return JSON.stringify(value, (_key, member: unknown) => {
    if (typeof member === 'string') return storable(member);
    if (member === null || typeof member !== 'object' || Array.isArray(member)) return member;
    return Object.fromEntries(Object.entries(member).map(([key, inner]) => [storable(key), inner]));
  });
}

function storable(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').replace(LONE_SURROGATE, '\ufffd');
}
