import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { runOutsideRequestContext } from '../common/logging/request-context';
import { OneAtATime } from '../common/one-at-a-time';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ChangeFeed } from '../redis/change-feed';
import { RedisService } from '../redis/redis.module';
import { hintWords, promptFeatures } from './prompt-features';
import { inferredTaskName } from '../performance/task-types';
import { addTo, assign, emptyKind, hintOf, Kind, KindRules, merge } from './prompt-kinds';
import { KindDelta, PromptKindsRepository } from './prompt-kinds.repository';

/**
 * Cosine similarity below which a prompt starts a new kind (while there is room): measured on the
 * evaluation's traffic, 0.55 kept every kind to one family on every seed (docs/routing.md).
 */
const NEW_KIND_BELOW = 0.55;
/** What an instance learned is written this often (and at shutdown). */
const FLUSH_MS = 1000;
/** Other instances reload the kinds at most this often after a change. */
const RELOAD_DEBOUNCE_MS = 100;

export interface KindSummary {
  name: string;
  /** Prompts it took. */
  requests: number;
  /** Words that set it apart, for people. */
  hint: string[];
}

/**
 * The kinds of requests without a task type, learned from their prompts (`prompt-kinds.ts`) and
 * shared by every instance: each keeps them in memory, adds what it learns locally at once and to
 * Postgres every second; after a write the others reload them (change feed `prompt-kinds`).
 */
@Injectable()
export class PromptKindsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PromptKindsService.name);
  private readonly rules: KindRules;
  private readonly changes: ChangeFeed;
  /** The stored kinds plus what this instance learned and has not written yet. */
  private kinds: Kind[] = [];
  private readonly pending = new Map<number, KindDelta>();
  /** One new kind at a time per instance, so a burst of similar first prompts starts one kind, not many. */
  private readonly creations = new OneAtATime();
  private flushTimer: NodeJS.Timeout | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly repository: PromptKindsRepository,
    redis: RedisService,
  ) {
    this.rules = { maxKinds: config.routing.promptKinds, newKindBelow: NEW_KIND_BELOW };
    this.changes = redis.changeFeed('prompt-kinds');
  }

  get enabled(): boolean {
    return this.rules.maxKinds > 0;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.changes.follow(() => this.reloadSoon()))) this.logger.warn('Kinds learned by other instances are not followed until Redis is reachable');
    await this.reload();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.flushTimer);
    clearTimeout(this.reloadTimer);
    await this.flush();
    this.changes.close();
  }

  /**
   * The kind a prompt is routed and learned as (e.g. `kind-07`), after adding it to that kind; null
   * when kinds are off, or a new kind could not be stored (the request then counts under `general`).
   */
  async kindOf(text: string): Promise<string | null> {
    if (!this.enabled) return null;
    const vector = promptFeatures(text);
    const words = [...new Set(hintWords(text))];
    await this.creations.idle();
    const { kindId } = assign(this.kinds, vector, this.rules);
    return kindId === null ? this.creations.run(this.startKind(vector, words)) : this.join(kindId, vector, words);
  }

  /** Every kind learned so far, by name. */
  list(): KindSummary[] {
    return this.kinds.map((kind) => ({ name: inferredTaskName(kind.id), requests: kind.count, hint: hintOf(kind, this.kinds) }));
  }

  /** Stores a new kind starting from this prompt; null when it cannot be stored (never throws). */
  private async startKind(vector: Float32Array, words: string[]): Promise<string | null> {
    const first = emptyKind(-1);
    addTo(first, vector, words);
    try {
      const id = await this.repository.create(first, this.rules.maxKinds);
      if (id === null) {
        // Another instance took the last free id or this one at the same moment: join the nearest kind as they now are.
        await this.reload();
        const { kindId } = assign(this.kinds, vector, { ...this.rules, maxKinds: this.kinds.length });
        return kindId === null ? null : this.join(kindId, vector, words);
      }
      this.kinds = [...this.kinds, { ...first, id }].sort((a, b) => a.id - b.id);
      this.changes.announce([String(id)]);
      return inferredTaskName(id);
    } catch (error) {
      this.logger.warn(`Could not store a new kind of request: ${String(error)}`);
      return null;
    }
  }

  private join(kindId: number, vector: Float32Array, words: string[]): string {
    addTo(this.kinds.find((k) => k.id === kindId)!, vector, words);
    addTo(this.pendingFor(kindId), vector, words);
    this.flushSoon();
    return inferredTaskName(kindId);
  }

  private pendingFor(id: number): KindDelta {
    let delta = this.pending.get(id);
    if (!delta) this.pending.set(id, (delta = emptyKind(id)));
    return delta;
  }

  private flushSoon(): void {
    this.flushTimer ??= runOutsideRequestContext(() =>
      setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush();
      }, FLUSH_MS),
    );
  }

  /** Writes what this instance learned; on failure it stays pending for the next flush. */
  private async flush(): Promise<void> {
    const deltas = [...this.pending.values()];
    if (deltas.length === 0) return;
    this.pending.clear();
    try {
      await this.repository.add(deltas);
      this.changes.announce(deltas.map((d) => String(d.id)));
    } catch (error) {
      this.logger.warn(`Could not store what was learned about kinds of requests: ${String(error)}`);
      for (const delta of deltas) merge(this.pendingFor(delta.id), delta);
      this.flushSoon();
    }
  }

  private reloadSoon(): void {
    this.reloadTimer ??= setTimeout(() => {
      this.reloadTimer = undefined;
      this.reload().catch((error: unknown) => this.logger.warn(`Could not reload kinds of requests: ${String(error)}`));
    }, RELOAD_DEBOUNCE_MS);
  }

  /** The stored kinds, plus what this instance has not written yet. */
  private async reload(): Promise<void> {
    const stored = await this.repository.all();
    for (const delta of this.pending.values()) {
      const kind = stored.find((k) => k.id === delta.id);
      if (kind) merge(kind, delta);
    }
    this.kinds = stored;
  }
}
