import { Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Sql } from '../database/sql';
import { RedisService } from '../redis/redis.module';
import { withTimeout } from '../common/with-timeout';

const CHECK_TIMEOUT_MS = 2000;

export class DependencyStatus {
  @ApiProperty({ enum: ['up', 'down'] })
  status: 'up' | 'down';

  @ApiProperty({ required: false, example: 'connect ECONNREFUSED 127.0.0.1:6379' })
  error?: string;
}

class DependencyReport {
  @ApiProperty({ type: DependencyStatus })
  postgres: DependencyStatus;

  @ApiProperty({ type: DependencyStatus })
  redis: DependencyStatus;
}

export class HealthReport {
  @ApiProperty({ enum: ['ok', 'error'] })
  status: 'ok' | 'error';

  @ApiProperty({ type: DependencyReport })
  checks: DependencyReport;
}

@Injectable()
export class HealthService {
  constructor(
    private readonly sql: Sql,
    private readonly redis: RedisService,
  ) {}

  async check(): Promise<HealthReport> {
    const [postgres, redis] = await Promise.all([
      probe(() => this.sql.query('SELECT 1')),
      probe(() => this.redis.client.ping()),
    ]);
    return { status: postgres.status === 'up' && redis.status === 'up' ? 'ok' : 'error', checks: { postgres, redis } };
  }
}

async function probe(ping: () => Promise<unknown>): Promise<DependencyStatus> {
  try {
    await withTimeout(ping(), CHECK_TIMEOUT_MS);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  }
}
