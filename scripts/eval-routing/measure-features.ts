import { promptFeatures } from '../../src/routing/prompt-features';
import { seededRandom } from '../../src/routing/random-source';
import { FAMILIES, promptOf } from './prompts';

/**
 * `npx ts-node --transpile-only scripts/eval-routing/measure-features.ts`: the cost of reading a
 * prompt for its kind (docs/routing.md), per prompt size, after a warm-up: mean microseconds per call.
 */
const random = seededRandom(1);
const text = Array.from({ length: 400 }, () => promptOf(FAMILIES[Math.floor(random() * FAMILIES.length)], random)).join('\n');

function microsPerCall(prompt: string, calls: number): number {
  for (let i = 0; i < 200; i += 1) promptFeatures(prompt);
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i += 1) promptFeatures(prompt);
  return Number(process.hrtime.bigint() - started) / 1000 / calls;
}

for (const bytes of [256, 1024, 2048, 4096, 16_384, 1_048_576]) {
  const prompt = text.repeat(Math.ceil(bytes / text.length)).slice(0, bytes);
  console.log(`${String(bytes).padStart(8)} chars: ${microsPerCall(prompt, bytes > 100_000 ? 200 : 5000).toFixed(1)} µs per prompt`);
}
