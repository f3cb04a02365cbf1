import { setImmediate as nextTurn } from 'node:timers/promises';
import { CallSignal } from '../../src/providers/call-signal';
import { numberOption } from './options';

/**
 * CPU per request of the abort signals a request needs (the caller's disconnect, the in-flight
 * registry's cancel, the provider call's timeout): composed with `AbortSignal.any` and
 * `AbortSignal.timeout`, as before, and as the service builds them now (a forwarding listener, and
 * `CallSignal` with its timer, disposed when the call is over).
 * Run: `npx ts-node --transpile-only scripts/bench/abort-signals.ts [--requests 100000] [--rounds 3]`.
 */

const REQUESTS = numberOption('--requests', 100_000);
const ROUNDS = numberOption('--rounds', 3);
const TIMEOUT_MS = 60_000;

function composed(): void {
  const caller = new AbortController();
  const cancel = new AbortController();
  const flight = AbortSignal.any([caller.signal, cancel.signal]);
  AbortSignal.any([flight, AbortSignal.timeout(TIMEOUT_MS)]);
}

function forwarded(): void {
  const caller = new AbortController();
  const flight = new AbortController();
  const forward = () => flight.abort(caller.signal.reason);
  caller.signal.addEventListener('abort', forward, { once: true });
  const call = new CallSignal({ signal: flight.signal, timeoutMs: TIMEOUT_MS });
  call.dispose();
  caller.signal.removeEventListener('abort', forward);
}

/** Microseconds of CPU per request, letting timers and the collector run between batches as a server would. */
async function cpuPerRequest(build: () => void): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    build();
    if (i % 1000 === 999) await nextTurn();
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / REQUESTS;
}

async function main(): Promise<void> {
  await cpuPerRequest(composed);
  await cpuPerRequest(forwarded);
  for (let round = 1; round <= ROUNDS; round++) {
    const before = await cpuPerRequest(composed);
    const after = await cpuPerRequest(forwarded);
    console.log(`round ${round}: AbortSignal.any/timeout ${before.toFixed(1)} us of CPU per request, forwarded ${after.toFixed(1)} us`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
