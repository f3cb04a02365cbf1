import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * Jest's global teardown: names what would keep the process alive after the last test (sockets
 * with their peer, child processes with their command, timers), so a leak shows in the CI log.
 * The run itself ends with `--forceExit` (scripts/test.sh): one CI run passed every test and then
 * waited until its time ran out, with nothing in the log to say why.
 */
export default function reportOpenHandles(): void {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const named = handles.map(describe).filter((name): name is string => name !== null);
  if (named.length > 0) process.stderr.write(`\nopen handles after the last test (${named.length}):\n  ${named.join('\n  ')}\n`);
}

function describe(handle: unknown): string | null {
  if (handle === process.stdout || handle === process.stderr || handle === process.stdin) return null;
  const kind = (handle as object).constructor?.name ?? typeof handle;
  if (kind === 'ChildProcess') {
    const child = handle as ChildProcess;
    return `child process ${child.pid}: ${child.spawnargs.join(' ').slice(0, 200)}`;
  }
  if (kind === 'Socket') {
    const socket = handle as Socket;
    if (socket.remotePort !== undefined) return `socket to ${socket.remoteAddress}:${socket.remotePort} from port ${socket.localPort}`;
    return `socket (pipe or not connected, fd ${(socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? '?'})`;
  }
  if (kind === 'Server') return `server listening on ${JSON.stringify((handle as { address(): unknown }).address())}`;
  return kind;
}
