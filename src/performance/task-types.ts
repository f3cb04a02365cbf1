/** The task type of a request that names none, when kinds are not learned (SPEC 'Decisions'; ROUTING_PROMPT_KINDS=0). */
export const DEFAULT_TASK_TYPE = 'general';

/**
 * Kinds learned from prompts (docs/routing.md) are task types named `kind-<nn>`: a caller's task
 * type is a lower-case identifier without '-', so the two never meet.
 */
const INFERRED_TASK = /^kind-(\d{2,3})$/;

export function inferredTaskName(id: number): string {
  return `kind-${String(id).padStart(2, '0')}`;
}

/** The kind's id from its task type; null for a caller's task type. */
export function inferredTaskId(taskType: string): number | null {
  const match = INFERRED_TASK.exec(taskType);
  return match ? Number(match[1]) : null;
}
