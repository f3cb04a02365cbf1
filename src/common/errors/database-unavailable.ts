/**
 * Postgres SQLSTATE classes and codes that mean "the database is away", not "the statement is
 * wrong": connection exceptions (08), the server shutting down or starting (57P01-57P03), too
 * many connections (53300), and a statement cancelled by its timeout (57014) because the server
 * did not get to it in time.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300|57014)$/;

/** Socket-level failures while connecting or talking to the server. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** What node-postgres says when a connection dies or cannot be had in time (it sets no code). */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|terminating connection)/;

/**
 * True when an error from node-postgres (or TypeORM around it) means the database could not be
 * reached or dropped the connection: the request is worth retrying later, and answers 503
 * `database_unavailable` rather than 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause !== null && typeof cause === 'object' && depth < 4; depth++) {
    const { code, message, name } = cause as { code?: unknown; message?: unknown; name?: unknown };
    // TypeORM's name for a query on a connection that died under it.
    if (name === 'QueryRunnerAlreadyReleasedError') return true;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    // TypeORM wraps the driver's error; Node wraps socket errors in an AggregateError for multi-address hosts.
    cause = (cause as { driverError?: unknown }).driverError ?? (cause as { cause?: unknown }).cause ?? (cause as { errors?: unknown[] }).errors?.[0];
  }
  return false;
}
