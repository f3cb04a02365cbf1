import { callTimeout, stopBefore } from './attempt-budget';

describe('attempt budget', () => {
  it('starts attempts while both bounds allow', () => {
    expect(stopBefore(0, 3000, 3)).toBeNull();
    expect(stopBefore(2, 10, 3)).toBeNull();
  });

  it('stops at MAX_ATTEMPTS, and at the deadline even when a timer left a fraction of a millisecond', () => {
    expect(stopBefore(3, 2000, 3)).toBe('max_attempts');
    expect(stopBefore(1, 0.4, 3)).toBe('request_timeout');
    expect(stopBefore(1, 9.9, 3)).toBe('request_timeout');
    expect(stopBefore(3, -5, 3)).toBe('request_timeout');
  });

  it("gives a call what is left of the deadline, never more than the provider's own timeout", () => {
    expect(callTimeout(2999.7, 60_000)).toBe(2999);
    expect(callTimeout(120_000, 60_000)).toBe(60_000);
    expect(callTimeout(0.3, 60_000)).toBe(1);
  });
});
