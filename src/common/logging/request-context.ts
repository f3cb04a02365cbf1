import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What a log line needs to know about the request it is written for. The id is made only when
 * first read, so a request that logs nothing never pays for one.
 */
export class RequestContext {
  constructor(private id?: string) {}

  get requestId(): string {
    return (this.id ??= randomUUID());
  }

  set requestId(id: string) {
    this.id = id;
  }
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `work` (and everything it starts, sync or async) as part of one request. */
export function runInRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** Runs `work` as part of the request with this id, e.g. a queued request picked up by a worker. */
export function runWithRequestId<T>(requestId: string, work: () => T): T {
  return storage.run(new RequestContext(requestId), work);
}

/** Runs `work` outside any request: background work that a request merely set off (a relay pass) belongs to none. */
export function runOutsideRequestContext<T>(work: () => T): T {
  return storage.exit(work);
}

/** The id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Settles the id of the current request once it is known (an inference request's id is its `completion_id`). */
export function assignRequestId(requestId: string): void {
  const context = storage.getStore();
  if (context) context.requestId = requestId;
}
