import type { Response } from 'express';

/** The kind learned from the prompt of a request without task type (docs/routing.md), on `/v1` and `/v1/messages`. */
export const INFERRED_TASK_HEADER = 'X-Inferred-Task';

/** Sets the header once the kind is known: before a stream's first chunk, so streams carry it too. */
export function inferredTaskHeader(response: Response): (task: string) => void {
  return (task) => {
    if (!response.headersSent) response.setHeader(INFERRED_TASK_HEADER, task);
  };
}
