import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { InstancesRepository } from './instances.repository';

/**
 * This process's lease on the requests it runs: a row it renews every third of
 * INSTANCE_LEASE_SECONDS. A process that dies stops renewing, and once its lease has run out any
 * live instance finalizes what it left running (see `OrphanReclaimer`).
 */
@Injectable()
export class InstanceLease implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly id = randomUUID();
  private readonly logger = new Logger(InstanceLease.name);
  private readonly leaseMs: number;
  private renewer: NodeJS.Timeout | undefined;
  /** Since when every renewal succeeded (monotonic ms); null while the database is out of reach. */
  private renewingSince: number | null = null;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly instances: InstancesRepository,
    private readonly clock: Clock,
  ) {
    this.leaseMs = config.requests.instanceLeaseMs;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.renew();
    this.renewer = setInterval(() => void this.renew(), this.leaseMs / 3);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.renewer);
    await this.instances.release(this.id).catch((error: unknown) => this.logger.warn(`Could not give the lease up: ${String(error)}`));
  }

  get durationMs(): number {
    return this.leaseMs;
  }

  /**
   * True once this instance has renewed its lease without a gap for a whole lease period: every
   * other live instance has then had the time to renew its own too (after a database outage, say),
   * so a lease that has run out means an instance that is gone.
   */
  get steady(): boolean {
    return this.renewingSince !== null && this.clock.monotonicMs() - this.renewingSince >= this.leaseMs;
  }

  private async renew(): Promise<void> {
    try {
      await this.instances.renew({ id: this.id, hostname: hostname(), pid: process.pid });
      this.renewingSince ??= this.clock.monotonicMs();
    } catch (error) {
      if (this.renewingSince !== null) this.logger.warn(`Could not renew this instance's lease: ${String(error)}`);
      this.renewingSince = null;
    }
  }
}
