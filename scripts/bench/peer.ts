import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, run, Spawned, spawnLogged, waitUntil } from '../lib/processes';
import { ROOT } from './service';

/**
 * Another gateway run side by side with the service in the same benchmark (`--peer <name>`), against
 * the same fake upstream and with the same load. Each peer lives in `scripts/bench/peers/<name>/` with
 * its own package.json (exact versions) and committed package-lock.json, installed there with
 * `npm ci` only when its node_modules is missing, so it never mixes with the service's dependencies.
 */
export interface PeerDefinition {
  name: string;
  /** The npm package that is the gateway. */
  packageName: string;
  /** The server's entry point, relative to the peer's folder. */
  entry: string;
  args(port: number): string[];
  /** Headers that send a request to the upstream's OpenAI-protocol base URL (ending in /v1). */
  headers(upstreamBase: string): Record<string, string>;
  /** A GET path answering 200 once the server listens. */
  readyPath: string;
  /** Its OpenAI chat completions endpoint. */
  chatPath: string;
}

export const PEERS: Record<string, PeerDefinition> = {
  portkey: {
    name: 'portkey',
    packageName: '@portkey-ai/gateway',
    entry: 'node_modules/@portkey-ai/gateway/build/start-server.js',
    args: (port) => [`--port=${port}`, '--headless'],
    headers: (upstreamBase) => ({
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': upstreamBase,
      authorization: 'Bearer sk-bench-peer',
    }),
    readyPath: '/',
    chatPath: '/v1/chat/completions',
  },
};

export function peerFolder(name: string): string {
  return join(ROOT, 'scripts', 'bench', 'peers', name);
}

/** Whether the peer's dependencies are installed (the smoke runs a peer only then). */
export function peerInstalled(name: string): boolean {
  return existsSync(join(peerFolder(name), 'node_modules'));
}

/** `npm ci` from the peer's own lock file when its node_modules is missing. */
export async function installPeer(peer: PeerDefinition): Promise<void> {
  if (peerInstalled(peer.name)) return;
  // No install scripts: the gateway and its dependencies need none.
  await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: peerFolder(peer.name) });
}

/** The installed version, for the report. */
export function peerVersion(peer: PeerDefinition): string {
  const manifest = join(peerFolder(peer.name), 'node_modules', peer.packageName, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

export interface RunningPeer {
  definition: PeerDefinition;
  version: string;
  url: string;
  pid: number | undefined;
  spawned: Spawned;
}

/** Starts the peer with only PATH and HOME from the caller's environment, and waits until it answers. */
export async function startPeer(peer: PeerDefinition, logFile: string): Promise<RunningPeer> {
  const port = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  const folder = peerFolder(peer.name);
  const spawned = spawnLogged(process.execPath, [join(folder, peer.entry), ...peer.args(port)], { cwd: folder, env, logFile });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      async () => {
        if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) throw new Error(`it exited (${spawned.child.exitCode ?? spawned.child.signalCode})`);
        return (await fetch(`${url}${peer.readyPath}`).catch(() => null))?.status === 200;
      },
      60_000,
      100,
      `${peer.name} answering on ${url}${peer.readyPath}`,
    );
  } catch (error) {
    await spawned.stop();
    throw new Error(`the peer ${peer.name} did not start: ${error instanceof Error ? error.message : String(error)}; log: ${logFile}`);
  }
  return { definition: peer, version: peerVersion(peer), url, pid: spawned.child.pid, spawned };
}
