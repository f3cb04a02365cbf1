import type { LlamaContextSequence, SequenceEvaluateOptions, Token } from 'node-llama-cpp';
import { CallSignal, confidenceFromLogprobs } from '../call-signal';
import { FinishReason, GenerationChunk, GenerationParams } from '../provider.types';
import { StopMatcher } from '../stop-matcher';
import { JsonConstraint } from './json-grammars';
import { TextAssembler, TextOptions } from './text-assembler';

export interface Sampling {
  limit: number;
  call: GenerationParams;
  callSignal: CallSignal;
  output: TextOptions;
  /** The grammar the answer follows, or null for free text. */
  json: JsonConstraint | null;
}

/**
 * Generates on one sequence: content deltas as tokens come, then the result. Under a grammar,
 * llama.cpp's sampler only picks tokens the grammar allows and feeds each one it picked to the
 * grammar's state; the grammar's stop text ends the generation like a `stop` sequence would.
 */
export async function* sample(
  sequence: LlamaContextSequence,
  input: Token[],
  { limit, call, callSignal, output, json }: Sampling,
): AsyncGenerator<GenerationChunk> {
  // Keeps the part of the sequence's state that matches this prompt; at least one prompt token
  // must be evaluated anew for the model to predict the next.
  await sequence.adaptStateToTokens(input.slice(0, -1), false);
  const reused = sequence.nextTokenIndex;
  const generated: Token[] = [];
  const options = { ...samplerOptions(call, () => generated), grammarEvaluationState: json?.state };
  const tokens = sequence.evaluateWithMetadata(input.slice(reused), { confidence: true }, options);
  const text = new TextAssembler(sequence.model, input, output);
  const stops = new StopMatcher([...(call.stop ?? []), ...(json?.stops ?? [])]);
  const probabilities: number[] = [];
  let content = '';
  let finishReason: FinishReason = 'stop';
  try {
    for (;;) {
      // Checked before every evaluation, so nothing is generated once the call is cancelled or timed out.
      throwIfAborted(callSignal);
      if (probabilities.length >= limit) {
        finishReason = 'length';
        break;
      }
      const step = await tokens.next();
      // A token that was being evaluated when the signal fired is dropped.
      throwIfAborted(callSignal);
      if (step.done) break; // an end-of-generation token, which is not part of the content
      probabilities.push(step.value.confidence);
      generated.push(step.value.token);
      const delta = stops.add(text.add(step.value.token));
      content += delta;
      if (delta) yield { type: 'delta', content: delta };
      if (stops.isStopped) break;
    }
  } finally {
    await tokens.return();
  }
  const rest = stops.add(text.flush()) + stops.flush();
  content += rest;
  if (rest) yield { type: 'delta', content: rest };
  yield {
    type: 'done',
    result: {
      content,
      toolCalls: [],
      finishReason,
      usage: { promptTokens: input.length, completionTokens: probabilities.length },
      confidence: confidenceFromLogprobs(probabilities.map(Math.log)),
      modelSpecific: { reused_prompt_tokens: reused },
    },
  };
}

export function throwIfAborted(callSignal: CallSignal): void {
  const aborted = callSignal.abortError();
  if (aborted) throw aborted;
}

/**
 * llama.cpp's sampler settings for a call. Penalties use llama.cpp's formula, which is OpenAI's
 * (a logit lowered by count x frequency + presence), over the tokens generated so far; its
 * multiplicative repeat penalty stays off (1).
 */
function samplerOptions(call: GenerationParams, generated: () => Token[]): SequenceEvaluateOptions {
  const penalised = call.presencePenalty !== undefined || call.frequencyPenalty !== undefined;
  return {
    temperature: call.temperature ?? 0,
    topP: call.topP,
    topK: call.topK,
    seed: call.seed,
    repeatPenalty: penalised
      ? { punishTokens: generated, penalty: 1, presencePenalty: call.presencePenalty, frequencyPenalty: call.frequencyPenalty }
      : undefined,
  };
}
