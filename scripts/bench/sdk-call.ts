import OpenAI from 'openai';
import { nodeHttpFetch } from '../../src/providers/http/node-http-fetch';
import { postChatCompletion } from '../../src/providers/openai/openai-chat-call';
import { stopAll } from '../lib/processes';
import { startFakeUpstream } from './service';
import { numberOption } from './options';

/**
 * CPU per call of one chat completion (not streamed) made through the openai SDK on `node:http`
 * against the one the service makes (`openai-chat-call.ts`), both to the bench's fake upstream in
 * a process of its own, ten calls in flight, alternating rounds. The CPU is this process's only.
 * Run: `npx ts-node --transpile-only scripts/bench/sdk-call.ts [--calls 8000] [--rounds 4]`.
 */

const CALLS = numberOption('--calls', 8000);
const ROUNDS = numberOption('--rounds', 4);
const IN_FLIGHT = 10;

async function cpuPerCall(call: () => Promise<unknown>, calls: number): Promise<number> {
  let left = calls;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) await call();
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

async function main(): Promise<void> {
  const upstream = await startFakeUpstream();
  const client = new OpenAI({ baseURL: `${upstream.url}/v1`, apiKey: 'bench', organization: null, project: null, maxRetries: 0, fetch: nodeHttpFetch });
  const params = { model: 'bench', messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: 16 };
  const options = () => ({ signal: new AbortController().signal, timeout: 60_000 });
  const viaSdk = () => client.chat.completions.create(params, options());
  const direct = () => postChatCompletion(client, params, options());

  await cpuPerCall(viaSdk, 2000);
  await cpuPerCall(direct, 2000);
  for (let round = 1; round <= ROUNDS; round++) {
    const sdk = await cpuPerCall(viaSdk, CALLS);
    const ours = await cpuPerCall(direct, CALLS);
    console.log(`round ${round}: SDK ${sdk.toFixed(0)} us of CPU per call, postChatCompletion ${ours.toFixed(0)} us (${(sdk - ours).toFixed(0)} us less)`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => void stopAll());
