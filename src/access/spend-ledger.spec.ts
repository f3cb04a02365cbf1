import { firstWholeDay } from './spend-ledger.repository';

describe('firstWholeDay', () => {
  it('is the day itself at a UTC midnight', () => {
    expect(firstWholeDay(new Date('2026-12-05T00:00:00.000Z'))).toBe('2026-12-05');
    expect(firstWholeDay(new Date(0))).toBe('1970-01-01');
  });

  it('is the next day from any later instant of a day, even a millisecond past midnight', () => {
    expect(firstWholeDay(new Date('2026-12-05T00:00:00.001Z'))).toBe('2026-12-06');
    expect(firstWholeDay(new Date('2026-12-31T23:59:59.999Z'))).toBe('2027-01-01');
  });
});
