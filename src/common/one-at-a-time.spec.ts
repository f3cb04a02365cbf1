import { OneAtATime } from './one-at-a-time';

describe('OneAtATime', () => {
  it('wakes a waiter only after the running task settled and released its turn, even when the task waits on I/O', async () => {
    const gate = new OneAtATime();
    const order: string[] = [];
    // The task settles its first step at once, then needs a later turn of the event loop, as a query does.
    const task = gate.run(
      (async () => {
        await Promise.resolve();
        await new Promise((resolve) => setImmediate(resolve));
        order.push('task done');
      })(),
    );
    const waiter = gate.idle().then(() => order.push('waiter woke'));
    await Promise.all([task, waiter]);
    expect(order).toEqual(['task done', 'waiter woke']);
    await gate.idle();
  });

  it('releases the turn when the task fails, and passes the failure to its starter', async () => {
    const gate = new OneAtATime();
    await expect(gate.run(Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    await gate.idle();
    await expect(gate.run(Promise.resolve(7))).resolves.toBe(7);
  });
});
