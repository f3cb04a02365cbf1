import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpendLedger } from '../access/spend-ledger.repository';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { OutboxRepository } from '../events/outbox.repository';
import { RollupRepository } from '../performance/rollup.repository';
import { RetentionRepository } from './retention.repository';

/** Rows one statement deletes at most: each batch is its own short transaction, so no lock is held for long. */
export const PRUNE_BATCH = 1000;
/**
 * After a full batch the job rests as long as the batch took (at most this long), so on a large
 * backlog it takes at most half of the database's time and requests are served in the other half.
 */
const MAX_REST_MS = 1000;
/** Published events are a delivery buffer, not a record (the request row is): kept a day for audit. */
const PUBLISHED_EVENTS_KEPT_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface PruneResult {
  requests: number;
  feedback: number;
  events: number;
  observations: number;
}

/**
 * Keeps the tables that grow with traffic bounded (docs/operations.md, 'Data retention and table
 * sizes'). The one place that decides what goes and when:
 * - finished requests created more than REQUEST_RETENTION_DAYS ago, with their feedback;
 * - events published more than 24 hours ago;
 * - observations recorded and observed more than REQUEST_RETENTION_DAYS ago that are folded,
 *   rolled up and no longer referred to by feedback (their part of each roll-up bucket is kept).
 * Closed days' spend is rolled up first: only requests of rolled-up days may go, so spend outlives them.
 * Requests go first, so the observations of their feedback become free to go in the same run.
 * Scores, roll-ups, resets and models are kept. Each table is pruned in batches of PRUNE_BATCH
 * until a batch comes back short, resting between batches; a run is idempotent, and runs on
 * several instances split the rows between them.
 */
@Injectable()
export class RetentionService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private stopping = false;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly requests: RetentionRepository,
    private readonly outbox: OutboxRepository,
    private readonly rollups: RollupRepository,
    private readonly spend: SpendLedger,
    private readonly clock: Clock,
  ) {}

  /** A run cut short by shutdown stops between batches; the next run carries on. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async prune(): Promise<PruneResult> {
    const now = this.clock.now().getTime();
    const window = new Date(now - this.config.retention.days * DAY_MS);
    const spendDays = await this.spend.rollUpClosedDays();
    if (spendDays > 0) this.logger.log(`Rolled up the spend of ${spendDays} day(s)`);
    let feedback = 0;
    const requests = await this.inBatches(async (limit) => {
      const pruned = await this.requests.pruneFinishedRequests(window, limit);
      feedback += pruned.feedback;
      return pruned.requests;
    });
    const events = await this.inBatches((limit) => this.outbox.prunePublished(new Date(now - PUBLISHED_EVENTS_KEPT_MS), limit));
    const observations = await this.inBatches((limit) => this.rollups.pruneObservations(window, limit));
    const result = { requests, feedback, events, observations };
    if (requests + feedback + events + observations > 0) {
      this.logger.log(`Pruned ${requests} request(s) with ${feedback} feedback, ${events} event(s), ${observations} observation(s)`);
    }
    return result;
  }

  private async inBatches(prune: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    while (!this.stopping) {
      const started = this.clock.monotonicMs();
      const pruned = await prune(PRUNE_BATCH);
      total += pruned;
      if (pruned < PRUNE_BATCH) break;
      await sleep(Math.min(MAX_REST_MS, this.clock.monotonicMs() - started));
    }
    return total;
  }
}
