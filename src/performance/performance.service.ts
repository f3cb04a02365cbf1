import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock';
import { runOutsideRequestContext } from '../common/logging/request-context';
import { OneAtATime } from '../common/one-at-a-time';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ModelEntity } from '../models/model.entity';
import { SqlStep, TransactionQuery } from '../database/sql';
import { ChangeFeed } from '../redis/change-feed';
import { RedisService } from '../redis/redis.module';
import { NewObservation, PerformanceRepository, ScoreRow } from './performance.repository';
import { baselineScores } from './priors';
import { DEFAULT_TASK_TYPE, inferredTaskId } from './task-types';
import { ALL_TASKS, ModelScores, posteriorAt, PriorScores, ScorePosterior, ScoringRules, scoresAt } from './scoring';

/** Other instances reload a changed model's scores at most this often. */
const RELOAD_DEBOUNCE_MS = 100;
/** How long new automatic observations gather before one fold adds them to the scores. */
const FOLD_DELAY_MS = 50;
/** A fold also runs this often, for what other instances left behind (a crash between write and fold). */
const FOLD_POLL_MS = 1000;
const FOLD_BATCH = 1000;
/** How long a new task type let in without scores keeps its place: far longer than a request takes to be answered and folded. */
const ADMISSION_HOLD_MS = 15 * 60_000;

/**
 * Scores of models per task type: read by routing on every request (from memory). Feedback is
 * added to them in the caller's transaction (it answers with the updated scores); automatic
 * observations are written with the request's outcome and folded in shortly after, in batches
 * (see `foldSoon`). Each instance keeps every score row in memory; after a commit the writer
 * updates its own copy and tells the others through Redis, which reload the changed models.
 */
@Injectable()
export class PerformanceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PerformanceService.name);
  private readonly rules: ScoringRules;
  private readonly scores = new Map<string, ScoreRow>();
  private readonly changes: ChangeFeed;
  private readonly stale = new Set<string>();
  /** Task types with scores (null: to be recounted after a change), and new ones this instance let in since. */
  private tracked: Set<string> | null = null;
  /** When each of those was let in (monotonic ms). */
  private readonly admitted = new Map<string, number>();
  private reloadTimer: NodeJS.Timeout | undefined;
  private foldTimer: NodeJS.Timeout | undefined;
  private foldPoller: NodeJS.Timeout | undefined;
  private readonly folds = new OneAtATime();

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly repository: PerformanceRepository,
    redis: RedisService,
    private readonly clock: Clock,
  ) {
    this.rules = {
      halfLifeMs: config.performance.halfLifeMs,
      priorWeight: config.performance.priorWeight,
      maxEvidence: config.performance.maxEvidence,
    };
    this.changes = redis.changeFeed('performance');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.changes.follow((modelIds) => this.markStale(modelIds)))) {
      this.logger.warn('Score changes from other instances are not followed until Redis is reachable');
    }
    this.replace(await this.repository.allScores());
    this.foldPoller = setInterval(() => this.foldSoon(), FOLD_POLL_MS);
    this.foldSoon();
  }

  /** Runs after in-flight requests have recorded their outcome, so their observations count before the instance goes. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.foldPoller);
    clearTimeout(this.foldTimer);
    clearTimeout(this.reloadTimer);
    await this.foldPending();
    this.changes.close();
  }

  /** The model's current scores for a task type (its registered baseline until there is evidence). */
  scoresFor(model: ModelEntity, taskType: string): ModelScores {
    return scoresAt(this.scores.get(key(model.id, taskType)) ?? null, this.priorFor(model, taskType), this.clock.now(), this.rules);
  }

  /**
   * The Beta posteriors of the model's quality and success rate for a task type, from the same
   * evidence as `scoresFor` (their means are its scores); routing samples from them to explore.
   */
  posteriorFor(model: ModelEntity, taskType: string): ScorePosterior {
    return posteriorAt(this.scores.get(key(model.id, taskType)) ?? null, this.priorFor(model, taskType), this.clock.now(), this.rules);
  }

  /**
   * The scores of `scoresFor` with the number of observations they include, from the same row, so
   * a report never shows a count that lags behind (or runs ahead of) the scores beside it.
   */
  countedScoresFor(model: ModelEntity, taskType: string): ModelScores & { sampleCount: number } {
    const row = this.scores.get(key(model.id, taskType)) ?? null;
    return { ...scoresAt(row, this.priorFor(model, taskType), this.clock.now(), this.rules), sampleCount: row?.sampleCount ?? 0 };
  }

  overallFor(model: ModelEntity): ModelScores {
    return this.scoresFor(model, ALL_TASKS);
  }

  /**
   * Whether a request may name this task type: `general` and any type with scores may, and a new
   * one while the deployment tracks fewer than MAX_TASK_TYPES (each new type costs a score row and
   * memory on every instance, so callers cannot add them without bound). Instances learn of each
   * other's new types when their scores arrive, so the bound can be passed by the new types that
   * arrive within that moment on several instances at once.
   */
  admitsTaskType(taskType: string): boolean {
    if (taskType === DEFAULT_TASK_TYPE) return true;
    // Kinds learned from prompts are bounded by ROUTING_PROMPT_KINDS, not by this limit on callers' names.
    this.tracked ??= new Set(
      [...this.scores.values()].map((row) => row.taskType).filter((type) => type !== ALL_TASKS && type !== DEFAULT_TASK_TYPE && inferredTaskId(type) === null),
    );
    if (this.tracked.has(taskType) || this.admitted.has(taskType)) return true;
    if (this.tracked.size + this.admitted.size >= this.config.requests.maxTaskTypes) this.forgetUnscoredAdmissions();
    if (this.tracked.size + this.admitted.size >= this.config.requests.maxTaskTypes) return false;
    this.admitted.set(taskType, this.clock.monotonicMs());
    return true;
  }

  /**
   * A type let in holds its place until its first scores arrive. One whose requests all failed
   * before a provider was called (too large, not permitted) never gets any: after
   * ADMISSION_HOLD_MS it gives its place up, or such requests could use up MAX_TASK_TYPES for good.
   */
  private forgetUnscoredAdmissions(): void {
    const since = this.clock.monotonicMs() - ADMISSION_HOLD_MS;
    for (const [taskType, at] of this.admitted) if (at < since) this.admitted.delete(taskType);
  }

  /** Task types the model has evidence for. */
  taskTypesOf(modelId: string): string[] {
    return [...this.scores.values()].filter((r) => r.modelId === modelId && r.taskType !== ALL_TASKS).map((r) => r.taskType).sort();
  }

  /**
   * Appends observations and updates the scores inside the caller's transaction; call
   * `committed` with the score rows after the commit.
   */
  async record(tx: TransactionQuery, observations: NewObservation[]): Promise<{ observationIds: string[]; scores: ScoreRow[] }> {
    const observationIds = await this.repository.insertObservations(tx, observations);
    const scores = await this.repository.addToScores(tx, observations, this.rules);
    return { observationIds, scores };
  }

  /**
   * The statement that writes the automatic observations of many requests' outcomes as part of
   * their atomic write (`Sql.writtenFor`); call `foldSoon` after it committed.
   */
  ownedObservationsStep(observations: { owner: string; observation: NewObservation }[]): SqlStep {
    return this.repository.ownedObservationsStep(observations);
  }

  /**
   * Folds unfolded observations into the scores after a short delay, so the observations of many
   * concurrent requests update each score row once instead of queueing on its lock one by one.
   */
  foldSoon(): void {
    // A fold takes every request's observations, not the one that asked for it: its log lines carry no request id.
    this.foldTimer ??= runOutsideRequestContext(() =>
      setTimeout(() => {
        this.foldTimer = undefined;
        void this.foldPending();
      }, FOLD_DELAY_MS),
    );
  }

  /** Folds everything written so far (resolves once it is in the scores); one fold at a time per instance. */
  async foldPending(): Promise<void> {
    await this.folds.idle();
    await this.folds.run(this.foldAll());
  }

  private async foldAll(): Promise<void> {
    try {
      let taken: number;
      do {
        const fold = await this.repository.foldPending(FOLD_BATCH, this.rules);
        taken = fold.taken;
        this.committed(fold.scores);
      } while (taken === FOLD_BATCH);
    } catch (error) {
      // The observations stay unfolded and the next fold (at most FOLD_POLL_MS away) takes them.
      this.logger.warn(`Could not fold observations into scores: ${String(error)}`);
    }
  }

  /** Takes an earlier observation out of the scores (replaced feedback), inside the caller's transaction. */
  async void(tx: TransactionQuery, observationId: string): Promise<ScoreRow[]> {
    const voided = await this.repository.voidObservation(tx, observationId);
    if (!voided) return [];
    return this.repository.addToScores(tx, [{ ...voided, weight: -voided.weight }], this.rules);
  }

  /** Makes committed score rows visible here and to the other instances. */
  committed(rows: ScoreRow[]): void {
    if (rows.length === 0) return;
    for (const row of rows) this.scores.set(key(row.modelId, row.taskType), row);
    this.scoresChanged();
    this.changes.announce([...new Set(rows.map((r) => r.modelId))]);
  }

  async reset(modelId: string, taskTypes: string[] | null): Promise<void> {
    const remaining = await this.repository.reset(modelId, taskTypes, this.rules);
    this.replaceModel(modelId, remaining);
    this.changes.announce([modelId]);
  }

  /** Scores as of a given instant from a committed row, e.g. the `updated_metrics` of feedback. */
  scoresFrom(row: ScoreRow | undefined, model: ModelEntity, taskType: string): ModelScores {
    return scoresAt(row ?? null, this.priorFor(model, taskType), this.clock.now(), this.rules);
  }

  /**
   * Where a task type's scores start: its registered baseline; for a kind learned from prompts,
   * which no operator could register, the quality comes from the model's overall score (what is
   * known of it across every kind of request), worth what its baseline would be. The success
   * prior stays the usual one: the overall success rate already holds the kind's own failures,
   * which its evidence counts.
   */
  private priorFor(model: ModelEntity, taskType: string): PriorScores {
    const baseline = baselineScores(model, taskType);
    return inferredTaskId(taskType) === null ? baseline : { ...baseline, quality: this.scoresFor(model, ALL_TASKS).quality };
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
    this.scoresChanged();
  }

  private replace(rows: ScoreRow[]): void {
    this.scores.clear();
    for (const row of rows) this.scores.set(key(row.modelId, row.taskType), row);
    this.scoresChanged();
  }

  /** Task types are recounted on next use; those let in here that now have scores no longer count twice. */
  private scoresChanged(): void {
    this.tracked = null;
    for (const row of this.scores.values()) this.admitted.delete(row.taskType);
  }
}

function key(modelId: string, taskType: string): string {
  return `${modelId}\u0000${taskType}`;
}
