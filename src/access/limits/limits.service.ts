import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { InjectConfig } from '../../config/config.module';
import { Clock } from '../../common/clock';
import { RedisService } from '../../redis/redis.module';
import { Caller, ClientKey } from '../client-key';
import { SpendLedger } from '../spend-ledger.repository';
import { ADMIT, SEED, SETTLE } from './limit-scripts';
import { BudgetPeriod, budgetPeriods, NANO_PER_USD, toNano } from './budget-periods';

/** What a request may use at most, estimated before its first provider call. */
export interface Reservation {
  requestId: string;
  /** Prompt estimate plus the most it may generate. */
  tokens: number;
  /** The most it can cost, from the dearest candidate's prices. */
  maxCostUsd: number;
}

/** What a request used, once it ended (nothing, when no model answered). */
export interface Usage {
  tokens: number;
  costUsd: number;
}

/** An admitted request's hold on its key's limits, released with what it really used. */
export interface Admission {
  settle(usage: Usage): Promise<void>;
}

const NOTHING_HELD: Admission = { settle: async () => {} };

const REFUSALS: Record<string, { code: ErrorCode; message: string }> = {
  rate_limited: { code: ErrorCode.RateLimited, message: 'Rate limit reached for this API key' },
  concurrency_limited: { code: ErrorCode.ConcurrencyLimited, message: 'Too many requests of this API key are running at once' },
  budget_exceeded: { code: ErrorCode.BudgetExceeded, message: 'The budget of this API key does not cover this request' },
};

/**
 * A key's RPM, TPM, concurrency and budgets, enforced for the whole cluster in Redis
 * (`limit-scripts.ts`; docs/keys.md). A request reserves before its first provider call and
 * settles when it ends, answered, failed, streamed or cancelled alike; what a dead instance held
 * comes back when its lease (the request timeout plus a minute) runs out.
 */
@Injectable()
export class LimitsService {
  private readonly logger = new Logger(LimitsService.name);
  private readonly leaseMs: number;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly ledger: SpendLedger,
    private readonly clock: Clock,
  ) {
    this.leaseMs = config.requests.timeoutMs + 60_000;
  }

  /** Holds the request's share of its key's limits, or throws the 429 of the first limit it would pass. */
  async admit(caller: Caller, reservation: Reservation): Promise<Admission> {
    if (caller.kind !== 'key' || !hasLimits(caller.key)) return NOTHING_HELD;
    const key = caller.key;
    const periods = budgetPeriods(key.limits, this.clock.now());
    const keys = this.keysOf(key, periods);
    const amount = toNano(reservation.maxCostUsd);
    const args = [
      reservation.requestId,
      key.limits.rpm ?? 0,
      key.limits.tpm ?? 0,
      reservation.tokens,
      key.limits.concurrency ?? 0,
      this.leaseMs,
      amount,
      ...periods.flatMap((period) => [toNano(period.limitUsd), period.retryAfterMs]),
    ];
    let verdict: [string, number];
    try {
      verdict = await this.run(ADMIT, keys, args);
      for (let seeded = 0; verdict[0] === 'unseeded' && seeded < periods.length; seeded++) {
        await this.seed(key, periods[verdict[1]], keys[4 + verdict[1]]);
        verdict = await this.run(ADMIT, keys, args);
      }
    } catch (error) {
      return this.whenRedisFails(key, error);
    }
    const [outcome, retryAfterMs] = verdict;
    if (outcome !== 'ok') {
      const refusal = REFUSALS[outcome] ?? REFUSALS.rate_limited;
      throw new DomainError(refusal.code, refusal.message, { key: key.name, retry_after_seconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) });
    }
    return {
      settle: (usage) => this.settle(key, keys, reservation, usage),
    };
  }

  private async settle(key: ClientKey, keys: string[], reservation: Reservation, usage: Usage): Promise<void> {
    const args = [reservation.requestId, key.limits.tpm ?? 0, Math.min(reservation.tokens, key.limits.tpm ?? 0), usage.tokens, toNano(usage.costUsd)];
    try {
      await this.run(SETTLE, keys, args);
    } catch (error) {
      // What stays held is given back when its lease runs out; the spend itself is in Postgres.
      this.logger.warn(`Could not settle the limits of request ${reservation.requestId}: ${String(error)}`);
    }
  }

  /** A period's spend as Postgres records it, for Redis to count on from (first use, or after Redis lost its counters). */
  private async seed(key: ClientKey, period: BudgetPeriod, hash: string): Promise<void> {
    const spent = await this.ledger.spentBy(key.id, period.since);
    await this.run(SEED, [hash], [Math.round(spent * NANO_PER_USD), period.ttlSeconds]);
  }

  private whenRedisFails(key: ClientKey, error: unknown): Admission {
    const hasBudget = Object.keys(key.limits.budget_usd ?? {}).length > 0;
    const hasRates = key.limits.rpm !== undefined || key.limits.tpm !== undefined || key.limits.concurrency !== undefined;
    const modes = this.config.limitsWhenRedisDown;
    if ((hasBudget && modes.budgets === 'closed') || (hasRates && modes.rates === 'closed')) {
      throw new DomainError(ErrorCode.ServiceUnavailable, "This API key's limits cannot be checked right now: try again shortly", { key: key.name });
    }
    this.logger.warn(`Limits of key ${key.name} not enforced: Redis is unreachable (${String(error)})`);
    return NOTHING_HELD;
  }

  private keysOf(key: ClientKey, periods: BudgetPeriod[]): string[] {
    const base = `${this.config.redisKeyPrefix}:limits:${key.id}`;
    return [`${base}:rpm`, `${base}:tpm`, `${base}:concurrency`, `${base}:held`, ...periods.map((period) => `${base}:budget:${period.tag}`)];
  }

  private async run(script: string, keys: string[], args: (string | number)[]): Promise<[string, number]> {
    const result = (await this.redis.client.eval(script, keys.length, ...keys, ...args)) as [string, number] | number;
    return Array.isArray(result) ? [String(result[0]), Number(result[1])] : ['ok', 0];
  }
}

function hasLimits(key: ClientKey): boolean {
  const { rpm, tpm, concurrency, budget_usd } = key.limits;
  return rpm !== undefined || tpm !== undefined || concurrency !== undefined || Object.keys(budget_usd ?? {}).length > 0;
}
