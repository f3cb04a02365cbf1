import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { ErrorCode } from '../../common/errors/error-code';
import { ChangeFeed } from '../../redis/change-feed';
import { RedisService } from '../../redis/redis.module';
import { ModelsService } from '../models.service';
import { AliasTable, isRouterName, MAX_ALIASES } from './alias-table';
import { ModelAliasView, toModelAliasView } from './dto/model-alias.dto';
import { ModelAliasesRepository } from './model-aliases.repository';

/**
 * Operator-defined names for models (docs/api.md, "Model aliases"). `resolve` runs on every `/v1`
 * request, so each instance holds every alias in memory: read at boot, after its own writes, and
 * when another instance announces a change through Redis. While Redis is away the copy stays as it
 * is (a change made elsewhere meanwhile arrives with the next notice or a restart).
 */
@Injectable()
export class ModelAliasesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ModelAliasesService.name);
  private readonly changes: ChangeFeed;
  private table = AliasTable.EMPTY;
  /** Loads started so far: only the latest one's result is kept, so a slow older read never undoes a newer one. */
  private loads = 0;

  constructor(
    private readonly repository: ModelAliasesRepository,
    private readonly models: ModelsService,
    redis: RedisService,
  ) {
    this.changes = redis.changeFeed('model-aliases');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.changes.follow(() => void this.reload()))) {
      this.logger.warn('Model aliases changed on other instances are picked up once Redis is reachable');
    }
    // Unlike a later reload, a failure here fails the boot: serving without the aliases would answer 404 for them.
    await this.load();
  }

  onApplicationShutdown(): void {
    this.changes.close();
  }

  /**
   * The model name a request's `model` stands for: the target of an exact alias, else of the
   * longest matching prefix pattern, else the name itself (`auto` and `auto:...` never change).
   * Reads memory only: call it on the request path, before parsing `auto:<task_type>`.
   */
  resolve(name: string): string {
    return this.table.resolve(name);
  }

  async list(): Promise<ModelAliasView[]> {
    return (await this.repository.findAll()).map(toModelAliasView);
  }

  /** Creates or replaces an alias; a target naming a model must name a registered, enabled one. */
  async put(alias: string, target: string): Promise<ModelAliasView> {
    if (!isRouterName(target)) await this.models.get(target);
    const row = await this.repository.upsert({ alias, target }, MAX_ALIASES);
    if (row === null) {
      throw new DomainError(ErrorCode.Conflict, `There are already ${MAX_ALIASES} model aliases, the most allowed: delete one before adding "${alias}"`, {
        alias,
        max_aliases: MAX_ALIASES,
      });
    }
    this.logger.log(`Model alias ${alias} -> ${target}`);
    await this.changed(alias);
    return toModelAliasView(row);
  }

  async remove(alias: string): Promise<void> {
    if (!(await this.repository.delete(alias))) {
      throw new DomainError(ErrorCode.NotFound, `Unknown model alias "${alias}"`, { alias });
    }
    this.logger.log(`Model alias ${alias} deleted`);
    await this.changed(alias);
  }

  private async changed(alias: string): Promise<void> {
    await this.reload();
    this.changes.announce([alias]);
  }

  private async load(): Promise<void> {
    const load = ++this.loads;
    const aliases = await this.repository.findAll();
    if (load === this.loads) this.table = new AliasTable(aliases);
  }

  /** Keeps the current copy when the database cannot be read: resolution never fails. */
  private async reload(): Promise<void> {
    try {
      await this.load();
    } catch (error) {
      this.logger.warn(`Could not reload the model aliases: ${String(error)}`);
    }
  }
}
