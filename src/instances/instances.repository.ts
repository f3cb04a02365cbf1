import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';

/** Rows of instances whose lease ran out this long ago are forgotten (their requests were reclaimed long before). */
const FORGET_AFTER = '1 day';

@Injectable()
export class InstancesRepository {
  constructor(private readonly sql: Sql) {}

  /** Takes or renews the instance's lease: now is its latest sign of life. */
  async renew(instance: { id: string; hostname: string; pid: number }): Promise<void> {
    await this.sql.query(
      `INSERT INTO service_instances (id, hostname, pid) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
      [instance.id, instance.hostname, instance.pid],
    );
  }

  /** Gives the lease up (a clean shutdown): what the instance left running is reclaimed at once. */
  async release(id: string): Promise<void> {
    await this.sql.query(`DELETE FROM service_instances WHERE id = $1`, [id]);
  }

  async forgetLongDead(): Promise<void> {
    await this.sql.query(`DELETE FROM service_instances WHERE heartbeat_at < now() - interval '${FORGET_AFTER}'`);
  }
}
