/**
 * Times token counting before and after the linear counter, on the inputs that stalled the
 * service: `npx ts-node --transpile-only scripts/measure-token-counting.ts`. For each input it
 * prints js-tiktoken's whole-text encode (what the estimator did before; extrapolated from its
 * measured quadratic cost when it would take minutes), the estimator now (total time, the longest
 * the event loop was held, tokens), and the same for the local tiny GGUF model's tokenizer.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k_base from 'js-tiktoken/ranks/o200k_base';
import { LocalAdapter } from '../src/providers/local/local.adapter';
import { importNodeLlamaCpp } from '../src/providers/local/node-llama-cpp';
import { ProviderTarget } from '../src/providers/provider.types';
import { TokenEstimator } from '../src/providers/token-estimator';

const ROOT = join(__dirname, '..');
const TINY_MODEL = join(ROOT, 'models', 'stories260K.gguf');
/** Whole-text encodes predicted to take longer than this are extrapolated instead of run. */
const BEFORE_CAP_MS = 20_000;

function english(chars: number): string {
  const docs = readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.md'));
  const text = [join(ROOT, 'README.md'), ...docs.map((file) => join(ROOT, 'docs', file))].map((file) => readFileSync(file, 'utf8')).join('\n');
  return text.repeat(Math.ceil(chars / text.length)).slice(0, chars);
}

const INPUTS: Record<string, string> = {
  '200 KB of one repeated character': 'a'.repeat(200_000),
  '200 KB of English (README and docs)': english(200_000),
  '200 KB of random base64': randomBytes(150_000).toString('base64'),
  '4 KB typical prompt': english(4000),
  "the issue's 13 KB prompt with 5,000 a": `${english(4000)} ${'a'.repeat(5000)} ${english(4000)}`,
};

/** Total time and the longest stall of the event loop while `run` ran (a synchronous `run` stalls it throughout). */
async function measured<T>(run: () => Promise<T> | T): Promise<{ value: T; ms: number; blockedMs: number }> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  const value = await run();
  const ms = performance.now() - started;
  // One more turn, so a stall at the very end is recorded too.
  await new Promise((resolve) => setTimeout(resolve, 2));
  loop.disable();
  return { value, ms, blockedMs: loop.max / 1e6 };
}

/** js-tiktoken merges each piece in time quadratic in its bytes, which predicts a whole encode. */
function predictedBeforeMs(text: string, nsPerByteSquared: number): number {
  let cost = 0;
  for (const match of text.matchAll(new RegExp(o200k_base.pat_str, 'gu'))) cost += Buffer.byteLength(match[0]) ** 2;
  return (nsPerByteSquared * cost) / 1e6;
}

async function main(): Promise<void> {
  const tiktoken = new Tiktoken(o200k_base);
  const calibration = await measured(() => tiktoken.encode('a'.repeat(3000), [], []).length);
  const nsPerByteSquared = (calibration.ms * 1e6) / 3000 ** 2;
  const estimator = new TokenEstimator();
  const local = new LocalAdapter();
  const target: ProviderTarget = { modelId: 'tiny', providerModel: 'tiny', apiKey: null, baseUrl: null, options: { model_path: TINY_MODEL } };
  const { getLlama, LlamaLogLevel } = await importNodeLlamaCpp();
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const vocabulary = await llama.loadModel({ modelPath: TINY_MODEL, vocabOnly: true });
  // First uses load the vocabularies and the model: reported, then left out of the table.
  const o200kLoad = await measured(() => estimator.count('gpt-4o', 'x'));
  const ggufLoad = await measured(() => local.countTokens(target, 'x'));
  console.log(`first use: o200k ${o200kLoad.ms.toFixed(0)} ms (longest stall ${o200kLoad.blockedMs.toFixed(0)} ms); tiny GGUF ${ggufLoad.ms.toFixed(0)} ms (${ggufLoad.blockedMs.toFixed(0)} ms)\n`);

  console.log('| input | js-tiktoken o200k, whole text (before) | estimator o200k: total / longest stall / tokens (after) | llama.cpp tokenize, one call (before) | local adapter count: total / longest stall (after) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [label, text] of Object.entries(INPUTS)) {
    const predicted = predictedBeforeMs(text, nsPerByteSquared);
    const before =
      predicted > BEFORE_CAP_MS
        ? `~${(predicted / 1000).toFixed(0)} s (extrapolated)`
        : await measured(() => tiktoken.encode(text, [], []).length).then((r) => `${r.ms.toFixed(1)} ms (${r.value} tokens)`);
    const after = await measured(() => estimator.count('gpt-4o', text));
    const oneCall = await measured(() => vocabulary.tokenize(text).length);
    const windowed = await measured(() => local.countTokens(target, text));
    console.log(
      `| ${label} | ${before} | ${after.ms.toFixed(1)} ms / ${after.blockedMs.toFixed(1)} ms / ${after.value} | ` +
        `${oneCall.ms.toFixed(1)} ms (${oneCall.value} tokens) | ${windowed.ms.toFixed(1)} ms / ${windowed.blockedMs.toFixed(1)} ms (${windowed.value} tokens) |`,
    );
  }
  await vocabulary.dispose();
  await llama.dispose();
  await local.onApplicationShutdown();
}

void main();
