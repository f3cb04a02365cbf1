import { budgetPeriods, toNano } from './budget-periods';

describe('budget periods', () => {
  const now = new Date('2026-12-31T18:00:00Z');

  it('names the UTC day and month that are now, from their start, retrying when they end', () => {
    const [day, month, total] = budgetPeriods({ budget_usd: { daily: 1, monthly: 10, total: 100 } }, now);
    expect(day).toMatchObject({ tag: 'day:2026-12-31', limitUsd: 1, since: new Date('2026-12-31T00:00:00Z'), retryAfterMs: 6 * 3_600_000 });
    expect(month).toMatchObject({ tag: 'month:2026-12', since: new Date('2026-12-01T00:00:00Z'), retryAfterMs: 6 * 3_600_000 });
    expect(total).toMatchObject({ tag: 'total', since: new Date(0), ttlSeconds: 0 });
    expect(day.ttlSeconds).toBe(30 * 3600);
  });

  it('has none without budgets, and only those set', () => {
    expect(budgetPeriods({}, now)).toEqual([]);
    expect(budgetPeriods({ budget_usd: { monthly: 5 } }, now).map((p) => p.tag)).toEqual(['month:2026-12']);
  });

  it('rounds money up to whole nano-dollars, so a reservation never falls short', () => {
    expect(toNano(0.05)).toBe(50_000_000);
    expect(toNano(1e-10)).toBe(1);
  });
});
