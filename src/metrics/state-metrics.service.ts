import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue } from 'bullmq';
import { Gauge, Registry } from 'prom-client';
import { OutboxRepository } from '../events/outbox.repository';
import { ModelsService } from '../models/models.service';
import { QueueName } from '../queue/queue-names';
import { CircuitBreaker, CircuitState } from '../circuit-breaker/circuit-breaker';
import { MetricName } from './metric-names';
import { withTimeout } from '../common/with-timeout';

/** How long one source may take to answer a scrape before it is left out of it. */
const COLLECT_TIMEOUT_MS = 2000;

/** `mos_circuit_state` values: ordered by severity, so `max by (model)` and `> 0` read naturally. */
export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** The BullMQ job states reported as queue depth. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'failed'] as const;

type Collector = 'circuits' | 'outbox' | 'queues';

/**
 * Gauges read from their sources at scrape time: circuit-breaker state (this instance's, for every
 * enabled model), the outbox backlog and relay lag (Postgres, shared by all instances) and BullMQ
 * queue depth (Redis, shared). A source that is down or slow is left out of that scrape, with
 * `mos_metrics_collector_up{collector} 0` and a warning, instead of failing the scrape.
 */
@Injectable()
export class StateMetricsService implements OnModuleInit {
  private readonly logger = new Logger(StateMetricsService.name);
  private readonly failing = new Set<Collector>();
  private queues: { name: string; queue: Queue }[] = [];

  private readonly collectorUp: Gauge<'collector'>;
  private readonly circuitState: Gauge<'model'>;
  private readonly circuitFailures: Gauge<'model'>;
  private readonly outboxBacklog: Gauge;
  private readonly outboxOldestAge: Gauge;
  private readonly queueJobs: Gauge<'queue' | 'state'>;

  constructor(
    registry: Registry,
    private readonly breaker: CircuitBreaker,
    private readonly models: ModelsService,
    private readonly outbox: OutboxRepository,
    private readonly moduleRef: ModuleRef,
  ) {
    const registers = [registry];
    this.collectorUp = new Gauge({
      name: MetricName.CollectorUp,
      help: 'Whether the last scrape could read this source (circuits: model registry; outbox: Postgres; queues: Redis)',
      labelNames: ['collector'],
      registers,
    });
    this.circuitState = new Gauge({
      name: MetricName.CircuitState,
      help: "This instance's circuit breaker per enabled model: 0 closed, 1 half-open, 2 open",
      labelNames: ['model'],
      registers,
    });
    this.circuitFailures = new Gauge({
      name: MetricName.CircuitConsecutiveFailures,
      help: "Consecutive retryable failures of the model as this instance's circuit breaker counts them",
      labelNames: ['model'],
      registers,
    });
    this.outboxBacklog = new Gauge({
      name: MetricName.OutboxBacklog,
      help: 'Events written to the outbox and not yet relayed to Redis (all instances)',
      registers,
    });
    this.outboxOldestAge = new Gauge({
      name: MetricName.OutboxOldestPendingAge,
      help: 'Age of the oldest event not yet relayed to Redis: the relay lag (0 when none waits)',
      registers,
    });
    this.queueJobs = new Gauge({
      name: MetricName.QueueJobs,
      help: 'BullMQ jobs per queue and state (waiting, active, delayed, prioritized, paused, failed jobs kept)',
      labelNames: ['queue', 'state'],
      registers,
    });
  }

  /**
   * Every queue of QueueName, as registered by the feature that owns it: the same Queue objects,
   * so reading their depth opens no Redis connection of its own.
   */
  onModuleInit(): void {
    this.queues = Object.values(QueueName).map((name) => ({ name, queue: this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }) }));
  }

  /** Reads every source in parallel; each one that fails or times out is left out of this scrape. */
  async refresh(): Promise<void> {
    await Promise.all([
      this.collect('circuits', () => this.readCircuits(), [this.circuitState, this.circuitFailures]),
      this.collect('outbox', () => this.readOutbox(), [this.outboxBacklog, this.outboxOldestAge]),
      this.collect('queues', () => this.readQueues(), [this.queueJobs]),
    ]);
  }

  private async readCircuits(): Promise<() => void> {
    const models = await this.models.findEnabled();
    return () => {
      for (const model of models) {
        const circuit = this.breaker.view(model.id);
        this.circuitState.set({ model: model.id }, CIRCUIT_STATE_VALUE[circuit.state]);
        this.circuitFailures.set({ model: model.id }, circuit.consecutive_failures);
      }
    };
  }

  private async readOutbox(): Promise<() => void> {
    const backlog = await this.outbox.backlog();
    return () => {
      this.outboxBacklog.set(backlog.pending);
      this.outboxOldestAge.set(backlog.oldestAgeSeconds);
    };
  }

  private async readQueues(): Promise<() => void> {
    const depths = await Promise.all(this.queues.map(async ({ name, queue }) => ({ name, counts: await queue.getJobCounts(...QUEUE_STATES) })));
    return () => {
      for (const { name, counts } of depths) {
        for (const state of QUEUE_STATES) this.queueJobs.set({ queue: name, state }, counts[state] ?? 0);
      }
    };
  }

  /**
   * Reads one source, then replaces its gauges' values in one synchronous step (so a concurrent
   * scrape never sees them half-written); on failure the gauges are emptied, not left stale.
   */
  private async collect(collector: Collector, read: () => Promise<() => void>, gauges: Gauge<string>[]): Promise<void> {
    let apply: () => void;
    try {
      apply = await withTimeout(read(), COLLECT_TIMEOUT_MS);
    } catch (error) {
      for (const gauge of gauges) clear(gauge);
      this.collectorUp.set({ collector }, 0);
      if (!this.failing.has(collector)) {
        this.failing.add(collector);
        this.logger.warn(`Metrics: ${collector} left out of the scrape: ${error instanceof Error ? error.message : String(error)}`);
      }
      return;
    }
    for (const gauge of gauges) clear(gauge);
    apply();
    this.collectorUp.set({ collector }, 1);
    if (this.failing.delete(collector)) this.logger.log(`Metrics: ${collector} readable again`);
  }
}

/** Removes every value, including an unlabelled gauge's (which `reset` would set to 0). */
function clear(gauge: Gauge<string>): void {
  gauge.reset();
  gauge.remove({});
}
