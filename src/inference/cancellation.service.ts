import { Caller, mayAccess, OPEN_CALLER } from '../access/client-key';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { channelName } from '../redis/channel-prefix';
import { createRedisClient } from '../redis/redis-client';
import { RedisService } from '../redis/redis.module';
import { InFlightRegistry } from './in-flight.registry';
import { RequestStatus } from './inference-request';
import { InferenceRepository } from './inference.repository';
import { QueuedRequestsService } from './queued-requests.service';

/** How long a cancel waits for the running instance to record the request as finished. */
const SETTLE_TIMEOUT_MS = 3000;
const SETTLE_POLL_MS = 25;

export interface CancelResult {
  request_id: string;
  /** `cancelled` once recorded; `cancelling` if the running instance has not recorded it yet. */
  status: RequestStatus | 'cancelling';
}

/**
 * `model.request.cancel` and its admin endpoint. The request may run on any instance, so the
 * cancel is broadcast on Redis; the instance running it aborts the provider call and records the
 * request as cancelled. The answer comes from the database (shared state), never from one
 * instance's memory, so any instance can give it.
 */
@Injectable()
export class CancellationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CancellationService.name);
  private readonly channel: string;
  private readonly subscriber: Redis;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly redis: RedisService,
    private readonly inFlight: InFlightRegistry,
    private readonly requests: InferenceRepository,
    private readonly queued: QueuedRequestsService,
    private readonly clock: Clock,
  ) {
    this.channel = channelName(config, `${config.redisKeyPrefix}:requests:cancel`);
    this.subscriber = createRedisClient(config, 'model-orchestration-cancel', { maxRetriesPerRequest: null });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber.on('message', (_channel: string, requestId: string) => this.inFlight.abort(requestId));
    await this.subscriber.subscribe(this.channel).catch((error: unknown) => {
      this.logger.warn(`Cancels from other instances are not received until Redis is reachable: ${String(error)}`);
    });
  }

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }

  /**
   * Aborts the request wherever it runs and waits for its outcome. 404 unknown; 409 when it had
   * already completed or failed. A request already cancelled answers as cancelled: a second
   * cancel is harmless, and every instance answers the same command.
   */
  async cancel(requestId: string, caller: Caller = OPEN_CALLER): Promise<CancelResult> {
    const request = await this.requests.findById(requestId);
    // Another key's request is as unknown as one that does not exist: ids cannot be probed.
    if (!request || !mayAccess(caller, request.clientKey)) throw new DomainError(ErrorCode.NotFound, `Unknown request_id "${requestId}"`, { request_id: requestId });
    if (request.status === 'cancelled') return { request_id: requestId, status: 'cancelled' };
    if (request.status === 'queued' && (await this.queued.cancelQueued(requestId))) return { request_id: requestId, status: 'cancelled' };
    if (request.status !== 'running' && request.status !== 'queued') {
      throw new DomainError(ErrorCode.Conflict, `Request "${requestId}" has already finished (${request.status})`, {
        request_id: requestId,
        status: request.status,
      });
    }
    this.inFlight.abort(requestId);
    await this.redis.client.publish(this.channel, requestId);
    return { request_id: requestId, status: await this.settled(requestId) };
  }

  private async settled(requestId: string): Promise<CancelResult['status']> {
    const deadline = this.clock.monotonicMs() + SETTLE_TIMEOUT_MS;
    while (this.clock.monotonicMs() < deadline) {
      const status = (await this.requests.findById(requestId))?.status;
      if (status && status !== 'running' && status !== 'queued') return status;
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
    return 'cancelling';
  }
}
