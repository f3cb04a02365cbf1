import { IDENTIFIER } from './is-score-map';

/**
 * A task type a query may name: a caller's (a lower-case identifier) or a kind learned from
 * prompts (`kind-07`, docs/routing.md), which callers cannot send as their own.
 */
export const TASK_TYPE_OR_KIND = new RegExp(`${IDENTIFIER.source}|^kind-\\d{2,3}$`);
export const TASK_TYPE_OR_KIND_MESSAGE = 'a lower-case identifier (a-z, 0-9, _) or a learned kind (kind-<nn>)';
