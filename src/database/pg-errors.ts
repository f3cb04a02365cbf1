/** SQLSTATE of a unique key violation. */
const UNIQUE_VIOLATION = '23505';

/** True for an insert that hit a unique key, from node-postgres or TypeORM around it. */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: unknown } | null)?.driverError ?? error;
  return (driverError as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}
