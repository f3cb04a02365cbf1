import type { DestinationStream } from 'pino';

/**
 * LOG_FORMAT=pretty, for a developer's terminal: each JSON line rewritten as
 * `12:00:01.123 WARN  [Context] message key=value ...`, with an error's stack on the lines below.
 * Not for production: parsing every line again costs what JSON logging saves.
 */
export function prettyDestination(sink: { write(text: string): unknown }): DestinationStream {
  return { write: (line: string) => void sink.write(prettyLine(line)) };
}

export function prettyLine(json: string): string {
  const { time, level, context, msg, err, pid: _pid, hostname: _hostname, ...fields } = JSON.parse(json) as Record<string, unknown>;
  const head = [
    typeof time === 'string' ? time.slice(11, 23) : '',
    String(level).toUpperCase().padEnd(5),
    typeof context === 'string' ? `[${context}]` : '',
    typeof msg === 'string' ? msg : '',
  ];
  const { type: _type, message: _message, stack, ...errFields } = isRecord(err) ? err : {};
  const pairs = [...Object.entries(fields), ...Object.entries(errFields).map(([key, value]) => [`err.${key}`, value] as const)].map(
    ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  const trace = typeof stack === 'string' ? `\n    ${stack.split('\n').join('\n    ')}` : '';
  return `${[...head, ...pairs].filter((part) => part !== '').join(' ')}${trace}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
