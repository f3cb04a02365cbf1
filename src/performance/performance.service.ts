import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ModelEntity } from '../models/model.entity';
import { RedisService, createRedisClient } from '../redis/redis.module';
import { ModelScores } from '../routing/ranking';
import { NewObservation, PerformanceRepository, ScoreRow } from './performance.repository';
import { baselineScores } from './priors';
import { ALL_TASKS, posteriorAt, ScorePosterior, ScoringRules, scoresAt } from './scoring';

/** Other instances reload a changed model's scores at most this often. */
const RELOAD_DEBOUNCE_MS = 100;

/**
 * Scores of models per task type: read by routing on every request (from memory), written with
 * each observation in the caller's transaction. Each instance keeps every score row in memory;
 * after a commit the writer updates its own copy and tells the others through Redis, which
 * reload the changed models from the database.
 */
@Injectable()
export class PerformanceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PerformanceService.name);
  private readonly rules: ScoringRules;
  private readonly scores = new Map<string, ScoreRow>();
  private readonly channel: string;
  private readonly subscriber: Redis;
  private readonly stale = new Set<string>();
  /** Lets an instance ignore its own change notices. */
  private readonly instanceId = randomUUID();
  private reloadTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly repository: PerformanceRepository,
    private readonly redis: RedisService,
    private readonly clock: Clock,
  ) {
    this.rules = {
      halfLifeMs: config.performance.halfLifeMs,
      priorWeight: config.performance.priorWeight,
      maxEvidence: config.performance.maxEvidence,
    };
    this.channel = `${config.redisKeyPrefix}:performance:changed`;
    this.subscriber = createRedisClient(config, 'model-orchestration-performance', { maxRetriesPerRequest: null });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber.on('message', (_channel: string, message: string) => {
      const notice = JSON.parse(message) as ChangeNotice;
      if (notice.from !== this.instanceId) this.markStale(notice.modelIds);
    });
    await this.subscriber.subscribe(this.channel).catch((error: unknown) => {
      this.logger.warn(`Score changes from other instances are not followed until Redis is reachable: ${String(error)}`);
    });
    this.replace(await this.repository.allScores());
  }

  onApplicationShutdown(): void {
    clearTimeout(this.reloadTimer);
    this.subscriber.disconnect();
  }

  /** The model's current scores for a task type (its registered baseline until there is evidence). */
  scoresFor(model: ModelEntity, taskType: string): ModelScores {
    return scoresAt(this.scores.get(key(model.id, taskType)) ?? null, baselineScores(model, taskType), this.clock.now(), this.rules);
  }

  /**
   * The Beta posteriors of the model's quality and success rate for a task type, from the same
   * evidence as `scoresFor` (their means are its scores); routing samples from them to explore.
   */
  posteriorFor(model: ModelEntity, taskType: string): ScorePosterior {
    return posteriorAt(this.scores.get(key(model.id, taskType)) ?? null, baselineScores(model, taskType), this.clock.now(), this.rules);
  }

  overallFor(model: ModelEntity): ModelScores {
    return this.scoresFor(model, ALL_TASKS);
  }

  /** Task types the model has evidence for. */
  taskTypesOf(modelId: string): string[] {
    return [...this.scores.values()].filter((r) => r.modelId === modelId && r.taskType !== ALL_TASKS).map((r) => r.taskType).sort();
  }

  /**
   * Appends observations and updates the scores inside the caller's transaction; call
   * `committed` with the score rows after the commit.
   */
  async record(manager: EntityManager, observations: NewObservation[]): Promise<{ observationIds: string[]; scores: ScoreRow[] }> {
    const observationIds = await this.repository.insertObservations(manager, observations);
    const scores = await this.repository.addToScores(manager, observations, this.rules);
    return { observationIds, scores };
  }

  /** Takes an earlier observation out of the scores (replaced feedback), inside the caller's transaction. */
  async void(manager: EntityManager, observationId: string): Promise<ScoreRow[]> {
    const voided = await this.repository.voidObservation(manager, observationId);
    if (!voided) return [];
    return this.repository.addToScores(manager, [{ ...voided, weight: -voided.weight }], this.rules);
  }

  /** Makes committed score rows visible here and to the other instances. */
  committed(rows: ScoreRow[]): void {
    if (rows.length === 0) return;
    for (const row of rows) this.scores.set(key(row.modelId, row.taskType), row);
    this.announce([...new Set(rows.map((r) => r.modelId))]);
  }

  async reset(modelId: string, taskTypes: string[] | null): Promise<void> {
    const remaining = await this.repository.reset(modelId, taskTypes, this.rules);
    this.replaceModel(modelId, remaining);
    this.announce([modelId]);
  }

  /** Scores as of a given instant from a committed row, e.g. the `updated_metrics` of feedback. */
  scoresFrom(row: ScoreRow | undefined, model: ModelEntity, taskType: string): ModelScores {
    return scoresAt(row ?? null, baselineScores(model, taskType), this.clock.now(), this.rules);
  }

  private announce(modelIds: string[]): void {
    const notice: ChangeNotice = { from: this.instanceId, modelIds };
    this.redis.client.publish(this.channel, JSON.stringify(notice)).catch(() => {
      // Other instances catch up on their next change notice or restart; this instance is already current.
    });
  }

  private markStale(modelIds: string[]): void {
    for (const id of modelIds) this.stale.add(id);
    this.reloadTimer ??= setTimeout(() => void this.reloadStale(), RELOAD_DEBOUNCE_MS);
  }

  private async reloadStale(): Promise<void> {
    const modelIds = [...this.stale];
    this.stale.clear();
    this.reloadTimer = undefined;
    try {
      const rows = await this.repository.scoresOf(modelIds);
      for (const id of modelIds) this.replaceModel(id, rows.filter((r) => r.modelId === id));
    } catch (error) {
      this.logger.warn(`Could not reload scores of ${modelIds.join(', ')}: ${String(error)}`);
      this.markStale(modelIds);
    }
  }

  private replaceModel(modelId: string, rows: ScoreRow[]): void {
    for (const [k, row] of this.scores) if (row.modelId === modelId) this.scores.delete(k);
    for (const row of rows) this.scores.set(key(row.modelId, row.taskType), row);
  }

  private replace(rows: ScoreRow[]): void {
    this.scores.clear();
    for (const row of rows) this.scores.set(key(row.modelId, row.taskType), row);
  }
}

interface ChangeNotice {
  from: string;
  modelIds: string[];
}

function key(modelId: string, taskType: string): string {
  return `${modelId}\u0000${taskType}`;
}
