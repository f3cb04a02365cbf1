import { Granularity } from './rollup.repository';

export const TIME_RANGE_PATTERN = /^([1-9]\d{0,3})([hdwm])$/;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Ranges up to this many days trend daily; longer ones weekly (SPEC 'Decisions'). */
const DAILY_UP_TO_DAYS = 90;

export interface TimeRange {
  from: Date;
  granularity: Granularity;
}

/**
 * `<n>h`, `<n>d`, `<n>w` or `<n>m` (calendar months) back from `now`; the trend granularity is
 * the one asked for, else daily up to 90 days and weekly beyond.
 */
export function parseTimeRange(value: string, now: Date, granularity?: Granularity): TimeRange {
  const match = TIME_RANGE_PATTERN.exec(value);
  if (!match) throw new Error(`Invalid time range "${value}"`);
  const n = Number(match[1]);
  const from = new Date(now);
  switch (match[2]) {
    case 'h':
      from.setTime(now.getTime() - n * 60 * 60 * 1000);
      break;
    case 'd':
      from.setTime(now.getTime() - n * DAY_MS);
      break;
    case 'w':
      from.setTime(now.getTime() - n * 7 * DAY_MS);
      break;
    case 'm':
      from.setUTCMonth(from.getUTCMonth() - n);
      break;
  }
  const days = (now.getTime() - from.getTime()) / DAY_MS;
  return { from, granularity: granularity ?? (days <= DAILY_UP_TO_DAYS ? 'day' : 'week') };
}
