import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  it('answers with the work when it settles in time, leaving no timer behind', async () => {
    const clear = jest.spyOn(global, 'clearTimeout');
    await expect(withTimeout(Promise.resolve('done'), 1000)).resolves.toBe('done');
    await expect(withTimeout(Promise.reject(new Error('failed')), 1000)).rejects.toThrow('failed');
    expect(clear).toHaveBeenCalledTimes(2);
    clear.mockRestore();
  });

  it('rejects with the message once the time is up', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withTimeout(never, 10)).rejects.toThrow('no answer within 10 ms');
    await expect(withTimeout(never, 10, 'Redis did not answer')).rejects.toThrow('Redis did not answer');
  });
});
