import { FinishReason } from '../providers/provider.types';

/**
 * What an answered request says about the model by itself, with no user involved (docs/routing.md,
 * 'Observations'): it succeeded; and its quality is judged only where the outcome
 * shows a defect. A normal answer carries no quality signal, so automatic observations never
 * drown the baseline and user ratings in made-up quality.
 *
 *   empty content          -> quality 0
 *   content_filter         -> quality 0.25
 *   length (cut short)     -> quality 0.6
 *   stop / tool_calls      -> no quality signal
 *
 * A failed provider call is a failure with no quality signal; a cancelled request says nothing.
 */
export function automaticQuality(content: string, finishReason: FinishReason): number | null {
  if (content.trim().length === 0) return 0;
  switch (finishReason) {
    case 'content_filter':
      return 0.25;
    case 'length':
      return 0.6;
    case 'stop':
    case 'tool_calls':
    case 'cancelled':
      return null;
  }
}
