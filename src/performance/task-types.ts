/** The task type of a request that names none (SPEC 'Decisions'). */
export const DEFAULT_TASK_TYPE = 'general';
