import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallSignal } from './call-signal';

describe('CallSignal', () => {
  const callFor = (caller: AbortController, timeoutMs = 1000) => ({ signal: caller.signal, timeoutMs });

  it("fires on the caller's cancel, as cancelled, with the caller's reason", () => {
    const caller = new AbortController();
    const call = new CallSignal(callFor(caller));

    caller.abort(new Error('gone'));

    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toEqual(new Error('gone'));
    expect(call.abortError()).toMatchObject({ code: 'cancelled', retryable: false });
    call.dispose();
  });

  it('fires on the timeout, as a retryable timeout', async () => {
    const call = new CallSignal(callFor(new AbortController(), 20));

    expect(call.abortError()).toBeNull();
    await sleep(60);

    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toMatchObject({ name: 'TimeoutError' });
    expect(call.abortError()).toMatchObject({ code: 'timeout', retryable: true, message: 'Provider did not answer within 20 ms' });
  });

  it('is aborted from the start when the caller already was', () => {
    const caller = new AbortController();
    caller.abort();

    const call = new CallSignal(callFor(caller));

    expect(call.signal.aborted).toBe(true);
    expect(call.abortError()).toMatchObject({ code: 'cancelled' });
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it("leaves nothing behind once disposed: no timer fires, no listener stays on the caller's signal", async () => {
    const caller = new AbortController();
    const calls = Array.from({ length: 3 }, () => new CallSignal(callFor(caller, 20)));
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(3);

    for (const call of calls) call.dispose();
    await sleep(60);

    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    expect(calls.map((call) => call.signal.aborted)).toEqual([false, false, false]);
  });
});
