import { parseTimeRange } from './time-range';

const now = new Date('2026-11-28T12:00:00Z');

describe('parseTimeRange', () => {
  it('goes back hours, days and weeks', () => {
    expect(parseTimeRange('24h', now).from).toEqual(new Date('2026-11-27T12:00:00Z'));
    expect(parseTimeRange('7d', now).from).toEqual(new Date('2026-11-21T12:00:00Z'));
    expect(parseTimeRange('2w', now).from).toEqual(new Date('2026-11-14T12:00:00Z'));
  });

  it('goes back calendar months for m', () => {
    expect(parseTimeRange('3m', now).from).toEqual(new Date('2026-08-28T12:00:00Z'));
  });

  it('trends daily up to 90 days and weekly beyond, unless a granularity is given', () => {
    expect(parseTimeRange('90d', now).granularity).toBe('day');
    expect(parseTimeRange('91d', now).granularity).toBe('week');
    expect(parseTimeRange('6m', now).granularity).toBe('week');
    expect(parseTimeRange('6m', now, 'month').granularity).toBe('month');
  });

  it('rejects anything else', () => {
    expect(() => parseTimeRange('7 days', now)).toThrow('Invalid time range');
    expect(() => parseTimeRange('0d', now)).toThrow();
    expect(() => parseTimeRange('5y', now)).toThrow();
  });
});
