import { Clock } from '../common/clock';
import { loadConfig } from '../config/app-config';
import { CircuitBreaker } from './circuit-breaker';

class ManualClock extends Clock {
  at = new Date('2026-03-01T12:00:00Z').getTime();
  override now(): Date {
    return new Date(this.at);
  }
}

describe('CircuitBreaker', () => {
  let clock: ManualClock;
  let breaker: CircuitBreaker;
  const failTimes = (n: number) => Array.from({ length: n }, () => breaker.failed('m'));

  beforeEach(() => {
    clock = new ManualClock();
    breaker = new CircuitBreaker(loadConfig({ ROUTING_BREAKER_THRESHOLD: '3', ROUTING_BREAKER_COOLDOWN_SECONDS: '30' }), clock);
  });

  it('starts closed and admits calls', () => {
    expect(breaker.view('m')).toEqual({ state: 'closed', consecutive_failures: 0 });
    expect(breaker.admit('m')).toEqual({ admitted: true });
  });

  it('counts consecutive retryable failures, and a success starts the count again', () => {
    failTimes(2);
    expect(breaker.view('m')).toEqual({ state: 'closed', consecutive_failures: 2 });
    breaker.succeeded('m');
    failTimes(2);
    expect(breaker.view('m')).toEqual({ state: 'closed', consecutive_failures: 2 });
    expect(breaker.admit('m')).toEqual({ admitted: true });
  });

  it('opens after the threshold and keeps the model out for the cool-down', () => {
    failTimes(3);
    expect(breaker.view('m')).toEqual({ state: 'open', consecutive_failures: 3, open_until: '2026-03-01T12:00:30.000Z' });
    expect(breaker.admit('m')).toEqual({ admitted: false, reason: 'circuit open until 2026-03-01T12:00:30.000Z after 3 consecutive failures' });
    clock.at += 29_999;
    expect(breaker.admit('m').admitted).toBe(false);
  });

  it('is half-open after the cool-down and hands out exactly one trial call', () => {
    failTimes(3);
    clock.at += 30_000;
    expect(breaker.view('m')).toEqual({ state: 'half_open', consecutive_failures: 3 });
    expect(breaker.admit('m')).toEqual({ admitted: true });
    expect(breaker.admit('m')).toEqual({ admitted: false, reason: 'circuit half-open: its trial call is in progress' });
  });

  it('closes when the trial succeeds', () => {
    failTimes(3);
    clock.at += 30_000;
    breaker.admit('m');
    breaker.succeeded('m');
    expect(breaker.view('m')).toEqual({ state: 'closed', consecutive_failures: 0 });
    expect(breaker.admit('m')).toEqual({ admitted: true });
  });

  it('opens again for another cool-down when the trial fails', () => {
    failTimes(3);
    clock.at += 30_000;
    breaker.admit('m');
    breaker.failed('m');
    expect(breaker.view('m')).toEqual({ state: 'open', consecutive_failures: 4, open_until: '2026-03-01T12:01:00.000Z' });
    expect(breaker.admit('m').admitted).toBe(false);
  });

  it('hands the trial out again when the first one is never reported', () => {
    failTimes(3);
    clock.at += 30_000;
    expect(breaker.admit('m').admitted).toBe(true);
    clock.at += 30_000;
    expect(breaker.admit('m').admitted).toBe(true);
  });

  it('peeks without handing out the trial call, and answers as admit would', () => {
    expect(breaker.peek('m')).toEqual({ admitted: true });
    failTimes(3);
    expect(breaker.peek('m')).toEqual(breaker.admit('m'));
    clock.at += 30_000;
    expect(breaker.peek('m')).toEqual({ admitted: true });
    expect(breaker.peek('m')).toEqual({ admitted: true });
    expect(breaker.admit('m')).toEqual({ admitted: true });
    expect(breaker.peek('m')).toEqual({ admitted: false, reason: 'circuit half-open: its trial call is in progress' });
  });

  it('keeps models apart', () => {
    failTimes(3);
    expect(breaker.view('other')).toEqual({ state: 'closed', consecutive_failures: 0 });
    expect(breaker.admit('other')).toEqual({ admitted: true });
  });
});
