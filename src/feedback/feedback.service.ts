import { Injectable } from '@nestjs/common';
import { Caller, feedbackUserOf, mayAccess } from '../access/client-key';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { Sql, TransactionQuery } from '../database/sql';
import { EventName } from '../events/event-contracts';
import { OutboxRelay } from '../events/outbox-relay.service';
import { OutboxRepository } from '../events/outbox.repository';
import { ModelsService } from '../models/models.service';
import { PerformanceService } from '../performance/performance.service';
import { FeedbackRequestDto, FeedbackView } from './dto/feedback.dto';
import { FeedbackRepository, JudgedRequest } from './feedback.repository';

/** Feedback given without `metadata.user_id` counts as one anonymous user's. */
const ANONYMOUS = '';

/**
 * User feedback on a finished request (completed, failed or cancelled): an observation worth
 * FEEDBACK_WEIGHT automatic ones, for the model that answered and the request's task type. The
 * same user's later feedback on the same request replaces the earlier one: that observation is
 * voided and the new one counts instead. Scores, feedback row and event commit together.
 */
@Injectable()
export class FeedbackService {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly sql: Sql,
    private readonly models: ModelsService,
    private readonly performance: PerformanceService,
    private readonly feedback: FeedbackRepository,
    private readonly outbox: OutboxRepository,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {}

  async submit(dto: FeedbackRequestDto, caller: Caller): Promise<FeedbackView> {
    const id = randomUUID();
    const createdAt = this.clock.now();
    const userKey = feedbackUserOf(caller, dto.metadata?.user_id) ?? ANONYMOUS;
    const qualityRating = dto.quality_rating ?? null;
    // The updated scores include every outcome recorded so far, the judged request's too.
    await this.performance.foldPending();

    const { request, scores } = await this.sql.transaction(async (tx) => {
      const request = await this.judgedRequest(tx, dto.request_id, caller);
      const previous = await this.feedback.current(tx, request.id, userKey);
      const withdrawn = previous ? await this.performance.void(tx, previous.observationId) : [];
      const recorded = await this.performance.record(tx, [
        {
          modelId: request.modelId,
          taskType: request.scoredAs,
          source: 'user',
          requestId: request.id,
          success: dto.success,
          quality: qualityRating,
          weight: this.config.performance.feedbackWeight,
          observedAt: createdAt,
        },
      ]);
      if (previous) await this.feedback.markReplaced(tx, previous.id, id);
      await this.feedback.insert(tx, {
        id,
        requestId: request.id,
        userKey,
        modelId: request.modelId,
        taskType: request.taskType,
        qualityRating,
        success: dto.success,
        feedback: dto.feedback ?? null,
        corrections: dto.corrections ? { ...dto.corrections } : null,
        metadata: { ...dto.metadata },
        observationId: recorded.observationIds[0],
        createdAt,
      });
      await this.outbox.add(tx, [
        {
          name: EventName.FeedbackReceived,
          payload: {
            feedback_id: id,
            request_id: request.id,
            model_id: request.modelId,
            task_type: request.taskType,
            timestamp: createdAt.toISOString(),
            feedback: {
              quality_rating: qualityRating,
              success: dto.success,
              has_corrections: dto.corrections?.original !== undefined || dto.corrections?.corrected !== undefined,
            },
          },
        },
      ]);
      return { request, scores: [...withdrawn, ...recorded.scores] };
    });
    this.performance.committed(scores);
    this.relay.kick();

    const model = await this.models.find(request.modelId);
    const taskRow = scores.filter((r) => r.taskType === request.scoredAs).pop();
    const updated = this.performance.scoresFrom(taskRow, model, request.scoredAs);
    return {
      feedback_id: id,
      created_at: createdAt.toISOString(),
      status: 'accepted',
      updated_metrics: { quality_score: updated.quality, success_rate: updated.successRate },
    };
  }

  /**
   * The finished request feedback is about, locked for the transaction: 404 when unknown, 409
   * while it has no outcome to judge yet (queued or running), or no model to judge (it ended
   * before any model was called: cancelled while queued, interrupted), nor for a request answered
   * from the response cache: the model did not answer it, so it says nothing new about the model
   * (feedback belongs on the request that produced the answer).
   */
  private async judgedRequest(tx: TransactionQuery, requestId: string, caller: Caller): Promise<JudgedRequest & { modelId: string }> {
    const request = await this.feedback.lockRequest(tx, requestId);
    if (!request || !mayAccess(caller, request.clientKey)) throw new DomainError(ErrorCode.NotFound, `Unknown request_id "${requestId}"`, { request_id: requestId });
    if (request.status === 'running' || request.status === 'queued') {
      throw new DomainError(ErrorCode.Conflict, `Request "${requestId}" is still ${request.status}`, { request_id: requestId });
    }
    if (request.modelId === null) {
      throw new DomainError(ErrorCode.Conflict, `Request "${requestId}" ended (${request.status}) before any model answered: there is no answer to rate`, {
        request_id: requestId,
      });
    }
    if (request.cached) {
      throw new DomainError(
        ErrorCode.Conflict,
        `Request "${requestId}" was answered from the response cache: rate the request whose answer was cached, not its replay`,
        { request_id: requestId, cached: true },
      );
    }
    return { ...request, modelId: request.modelId };
  }
}
