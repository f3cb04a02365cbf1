import { IDENTIFIER } from '../../common/validation/is-score-map';
import { MODEL_ID_PATTERN } from '../dto/register-model.dto';

/** The `model` that lets the router choose: `auto`, or `auto:<task_type>`. */
export const AUTO_MODEL = 'auto';

/** Every instance holds every alias in memory, so a deployment may define this many. */
export const MAX_ALIASES = 1000;

export const MAX_ALIAS_LENGTH = 128;

/** Starts like a model id, so `/v1`'s `model` field can carry it; a final `*` makes it a prefix pattern. */
const ALIAS_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]*\*?$/;

export interface ModelAlias {
  alias: string;
  target: string;
}

/** `auto` and `auto:<task_type>` are the router's names: never aliases, never resolved. */
export function isRouterName(name: string): boolean {
  return name === AUTO_MODEL || name.startsWith(`${AUTO_MODEL}:`);
}

export function isValidAlias(alias: string): boolean {
  return alias.length <= MAX_ALIAS_LENGTH && ALIAS_PATTERN.test(alias) && !isRouterName(alias);
}

/** A model id, `auto` or `auto:<task_type>`, as `/v1`'s `model` field takes them. */
export function isValidTarget(target: string): boolean {
  if (!MODEL_ID_PATTERN.test(target)) return false;
  return !target.startsWith(`${AUTO_MODEL}:`) || IDENTIFIER.test(target.slice(AUTO_MODEL.length + 1));
}

/**
 * The aliases of a deployment, ready to resolve names: an exact alias wins, else the longest
 * prefix pattern that matches, else the name itself. A target is not resolved again.
 */
export class AliasTable {
  static readonly EMPTY = new AliasTable([]);

  private readonly exact = new Map<string, string>();
  /** Prefix patterns without their `*`, longest first: the first match is the longest. */
  private readonly prefixes: ModelAlias[] = [];

  constructor(aliases: readonly ModelAlias[]) {
    for (const { alias, target } of aliases) {
      if (alias.endsWith('*')) this.prefixes.push({ alias: alias.slice(0, -1), target });
      else this.exact.set(alias, target);
    }
    this.prefixes.sort((a, b) => b.alias.length - a.alias.length);
  }

  resolve(name: string): string {
    if (isRouterName(name)) return name;
    return this.exact.get(name) ?? this.prefixes.find(({ alias }) => name.startsWith(alias))?.target ?? name;
  }
}
