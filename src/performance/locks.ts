/** Serializes folds and resets of scores and prunes of observations, across instances (pg_advisory_xact_lock key). */
export const SCORES_LOCK = 7_958_303;
