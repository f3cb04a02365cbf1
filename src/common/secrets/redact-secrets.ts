const REDACTED = '[redacted]';

/**
 * Shapes of secrets that vendors and libraries put in messages: OpenAI/Anthropic-style keys
 * (`sk-...`, `sk-ant-...`), bearer and basic credentials, `api_key=...`-style pairs in query
 * strings or JSON, and the password of a connection URL (`postgres://user:password@host`).
 */
const SECRET_SHAPES: [RegExp, string][] = [
  [/\b(sk|pk|key)-[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  [/\b(api[-_]?key|access[-_]?token|client[-_]?secret|password)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi, `$1$2${REDACTED}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, `$1${REDACTED}@`],
];

/**
 * Removes anything that looks like a secret from a text: first the given secrets wherever they
 * appear, then whatever has the shape of a key, token or password. Used on provider error
 * messages before they are stored or answered, and on every log line.
 */
export function redactSecrets(text: string, ...secrets: (string | null | undefined)[]): string {
  let clean = text;
  for (const secret of secrets) if (secret && clean.includes(secret)) clean = clean.split(secret).join(REDACTED);
  for (const [shape, replacement] of SECRET_SHAPES) clean = clean.replace(shape, replacement);
  return clean;
}
