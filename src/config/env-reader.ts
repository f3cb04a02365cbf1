export type Env = Record<string, string | undefined>;

/** Collects problems instead of throwing, so one boot names every bad variable. Values of secrets are never echoed. */
export class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  optional(name: string, pattern?: RegExp, expected?: string): string | null {
    const value = this.env[name]?.trim();
    if (!value) return null;
    if (pattern && !pattern.test(value)) this.problem(`${name} must be ${expected}`);
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.optional(name);
    if (value === null) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      this.problem(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return parsed;
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const value = this.optional(name);
    if (value === null) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+(\.\d+)?$/.test(value) || parsed < min || parsed > max) {
      this.problem(`${name} must be a number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name);
    if (value === null) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problem(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  }

  matching(name: string, pattern: RegExp, fallback: string, expected: string): string {
    const value = this.optional(name);
    if (value === null) return fallback;
    if (!pattern.test(value)) {
      this.problem(`${name} must be ${expected} (got "${value}")`);
      return fallback;
    }
    return value;
  }

  url(name: string, fallback: string, protocols: string[]): string {
    return this.optionalUrl(name, protocols) ?? fallback;
  }

  optionalUrl(name: string, protocols: string[] = ['http:', 'https:']): string | null {
    const value = this.optional(name);
    if (value === null) return null;
    try {
      const url = new URL(value);
      if (protocols.includes(url.protocol)) return value;
    } catch {
      // reported below
    }
    this.problem(`${name} must be a ${protocols.join(' or ')} URL`);
    return null;
  }
}
