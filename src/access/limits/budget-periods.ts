import { KeyLimits } from '../client-key';

/** Money in Redis is counted in integer nano-dollars. */
export const NANO_PER_USD = 1e9;

export function toNano(usd: number): number {
  return Math.ceil(usd * NANO_PER_USD);
}

/** One budget a request is checked against, for the period that is now. */
export interface BudgetPeriod {
  /** Part of its Redis key: `day:2026-12-05`, `month:2026-12` or `total`. */
  tag: string;
  limitUsd: number;
  /** Start of the period: spend since then counts. */
  since: Date;
  /** Until the period ends; a day for `total`, which never does (an operator may raise it). */
  retryAfterMs: number;
  /** How long Redis keeps the period's counters: a day past its end; 0 for `total`. */
  ttlSeconds: number;
}

const DAY_MS = 86_400_000;

/** The key's budgets that apply at `now`, in UTC days and months. */
export function budgetPeriods(limits: KeyLimits, now: Date): BudgetPeriod[] {
  const budget = limits.budget_usd ?? {};
  const periods: BudgetPeriod[] = [];
  const dayStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const monthEnd = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  const period = (tag: string, limitUsd: number, since: number, end: number | null): BudgetPeriod => ({
    tag,
    limitUsd,
    since: new Date(since),
    retryAfterMs: end === null ? DAY_MS : end - now.getTime(),
    ttlSeconds: end === null ? 0 : Math.ceil((end + DAY_MS - now.getTime()) / 1000),
  });
  const iso = now.toISOString();
  if (budget.daily !== undefined) periods.push(period(`day:${iso.slice(0, 10)}`, budget.daily, dayStart, dayStart + DAY_MS));
  if (budget.monthly !== undefined) periods.push(period(`month:${iso.slice(0, 7)}`, budget.monthly, monthStart, monthEnd));
  if (budget.total !== undefined) periods.push(period('total', budget.total, 0, null));
  return periods;
}
