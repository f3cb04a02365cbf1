import { Reservation, Usage } from '../access/limits/limits.service';
import { modelPrices } from '../models/model.entity';
import { PlannedCandidate } from '../routing/routing.service';
import { CompletionView } from './dto/completion.view';
import { Job } from './inference.types';

/** Chat framing added to a prompt's bytes: the routing's sure upper bound on prompt tokens (docs/routing.md). */
const FRAMING_TOKENS = 16;
/** Bytes per token assumed for TPM's estimate (a budget reserves the sure bound instead). */
const BYTES_PER_TOKEN = 4;

/**
 * What a request may use at most, before its first call. The budget reserves the sure upper
 * bound: no tokenizer makes more tokens than bytes, and no answer is longer than `max_tokens` (or
 * the model's token limit) per choice, at the dearest candidate's prices. TPM reserves an estimate
 * (four bytes a token) and is corrected when the request settles.
 */
export function reservationFor(job: Job, candidates: PlannedCandidate[], requestId: string): Reservation {
  const promptBytes = Buffer.byteLength(job.promptText, 'utf8') + (job.tools ? Buffer.byteLength(JSON.stringify(job.tools), 'utf8') : 0);
  const promptTokensAtMost = promptBytes + FRAMING_TOKENS;
  const maxCostUsd = Math.max(
    0,
    ...candidates.map(({ model }) => {
      const prices = modelPrices(model);
      const inputPrice = Math.max(prices.input, prices.cachedInput ?? 0, prices.cacheWrite ?? 0);
      const output = (job.dto.max_tokens ?? model.tokenLimit) * job.choices;
      return (promptTokensAtMost * inputPrice + output * prices.output) / 1000;
    }),
  );
  const tokens = Math.ceil(promptBytes / BYTES_PER_TOKEN) + (job.dto.max_tokens ?? 0) * job.choices;
  return { requestId, tokens, maxCostUsd };
}

/** What an ended request used: its answer's tokens and cost; nothing when no model answered. */
export function usageOf(view: CompletionView | null): Usage {
  return view === null ? { tokens: 0, costUsd: 0 } : { tokens: view.usage.total_tokens, costUsd: view.usage.estimated_cost };
}
