import { createHash } from 'node:crypto';
import { Env, EnvReader } from './env-reader';

/**
 * Typed configuration, built once from the environment at boot.
 * Every variable is documented in `.env.example`; `loadConfig` is the only reader of the environment.
 */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  logLevel: LogLevel;
  /** `json`: one JSON object per line (production); `pretty`: one readable line (a developer's terminal). */
  logFormat: LogFormat;
  bodyLimit: string;
  /**
   * Most characters a completion or chat prompt may have, context items included (the text the
   * model reads); a longer one is a 400 naming `prompt` or `messages`.
   */
  maxPromptChars: number;
  databaseUrl: string;
  databasePoolSize: number;
  /** Longest wait for a new Postgres connection before the request answers 503 database_unavailable. */
  databaseConnectTimeoutMs: number;
  /** Longest a statement may run on the app's connections (Postgres cancels it). */
  databaseStatementTimeoutMs: number;
  redis: RedisConnection;
  /** Prefix for every Redis key the service owns (queues, caches). */
  redisKeyPrefix: string;
  /**
   * Prefix of every pub/sub channel the service publishes or subscribes to (commands and their
   * replies, events, change feeds, cancel broadcasts) and of its queues' keys; empty (the default)
   * keeps the SPEC's channel names. Deployments sharing one Redis must set different values.
   */
  redisChannelPrefix: string;
  /** Null disables the admin endpoints. */
  adminToken: string | null;
  /** On SIGTERM, how long running requests may finish before they are cancelled. */
  shutdownGraceMs: number;
  /** Asynchronous requests each instance's worker runs at once. */
  asyncConcurrency: number;
  /**
   * Who may call `/api/models/*` and `/v1/*`: `off`, anyone (the development default); `keys`, a
   * client key, a CLIENT_API_KEYS key or the admin token (docs/keys.md).
   */
  clientAuth: ClientAuth;
  /** Static client keys (a bootstrap list beside the keys in Postgres): no owner, no limits. */
  clientApiKeys: string[];
  /** What a key's limits do while Redis, which counts them for every instance, is unreachable. */
  limitsWhenRedisDown: { rates: FailMode; budgets: FailMode };
  /** 32-byte AES-256-GCM key for provider secrets stored in the database. */
  encryptionKey: Buffer;
  /** True when no ENCRYPTION_KEY was given and the development key is in use. */
  usingDevelopmentEncryptionKey: boolean;
  providers: ProviderDefaults;
  requests: RequestLimits;
  performance: PerformanceSettings;
  routing: RoutingSettings;
  metrics: MetricsSettings;
  retention: RetentionSettings;
  cache: ResponseCacheSettings;
}

export type ClientAuth = 'off' | 'keys';
/** `open` lets requests through uncounted; `closed` refuses them (503). */
export type FailMode = 'open' | 'closed';

/** The response cache (docs/api.md 'Response cache'): exact-match answers kept in Redis, opt-in per request or per key. */
export interface ResponseCacheSettings {
  /** An answer whose stored entry is larger than this is not stored. */
  maxEntryBytes: number;
  /** Total size of the stored entries; the oldest are evicted beyond it. */
  maxBytes: number;
  /** Longest time a request (or a key's default) may ask an answer to be kept. */
  maxTtlSeconds: number;
}

/** Hard bound of every cache TTL (a year): what a DTO accepts before CACHE_MAX_TTL_SECONDS applies. */
export const CACHE_TTL_CEILING_SECONDS = 31_536_000;

export interface RetentionSettings {
  /**
   * Days finished requests (with their feedback) and rolled-up observations are kept; the
   * retention job removes older ones. Scores and roll-ups are kept.
   */
  days: number;
}

/** Bounds on the work one request may cause, and on who may finalize it. */
export interface RequestLimits {
  /** Provider calls one request may make, fallbacks included. */
  maxAttempts: number;
  /** Deadline of a request across all its attempts (and the writing of its outcome). */
  timeoutMs: number;
  /** Distinct task types tracked per deployment; requests naming a new one beyond it are refused. */
  maxTaskTypes: number;
  /**
   * An instance renews its lease this often (a third of it); requests of an instance whose lease
   * has run out are finalized as interrupted by any live instance.
   */
  instanceLeaseMs: number;
}

export interface MetricsSettings {
  /** Distinct task types named in metric labels per instance; later ones are counted as `other`. */
  maxTaskTypes: number;
  /** Distinct client key names in the per-key metric labels per instance; later ones are counted as `other`. */
  maxKeys: number;
}

export interface PerformanceSettings {
  /** Weight of one piece of user feedback; an automatic observation weighs 1. */
  feedbackWeight: number;
  /** How many observations a model's registered baseline is worth. */
  priorWeight: number;
  /** Evidence loses half its weight every this many milliseconds. */
  halfLifeMs: number;
  /** How often the roll-up job aggregates observations into daily, weekly and monthly buckets. */
  rollupIntervalMs: number;
  /**
   * Most evidence (in observation weights) a score holds: beyond it, each new observation pushes
   * out a proportional share of the old, so scores follow a drifting model within a bounded
   * number of observations whatever the traffic.
   */
  maxEvidence: number;
}

export interface RoutingSettings {
  /**
   * Share of requests whose model is chosen by Thompson sampling from the posteriors (the rest
   * take the best expected utility): 1 is plain Thompson sampling, 0 is deterministic.
   */
  exploration: number;
  /** Utility (on the 0..1 quality scale) given up per US dollar of a request's expected cost. */
  costWeight: number;
  /** Consecutive retryable failures of a model that open its circuit. */
  breakerThreshold: number;
  /** How long an open circuit keeps the model out of routing before one trial call. */
  breakerCooldownMs: number;
  /** Most kinds learned from the prompts of requests without a task type; 0: such requests count under `general`. */
  promptKinds: number;
}

export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
}

export interface ProviderDefaults {
  openai: { apiKey: string | null; baseUrl: string | null };
  anthropic: { apiKey: string | null; baseUrl: string | null };
  /** Null: Ollama models without their own api_url are unavailable. */
  ollama: { baseUrl: string | null };
  /** `modelPath`: the file behind the catalogue's `stories260k`; null when LOCAL_MODEL_PATH is `none`. */
  local: { modelPath: string | null; modelsDir: string };
  timeoutMs: number;
}

export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const NODE_ENVS = ['development', 'production', 'test'] as const;

/** Derived from a fixed phrase so development works out of the box; refused in production. */
const DEVELOPMENT_ENCRYPTION_KEY = createHash('sha256').update('model-orchestration-development-key').digest();

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}


/** Reads and validates every variable, reporting all problems at once. */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);

  const nodeEnv = read.oneOf('NODE_ENV', NODE_ENVS, 'development');
  const encryption = readEncryptionKey(read, nodeEnv);
  const clientApiKeys = readClientApiKeys(read);
  const config: AppConfig = {
    nodeEnv,
    port: read.integer('PORT', 3000, 0, 65535),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'log'),
    logFormat: read.oneOf('LOG_FORMAT', LOG_FORMATS, 'json'),
    bodyLimit: read.matching('BODY_LIMIT', /^\d+(b|kb|mb)$/i, '1mb', 'a size such as 512kb or 1mb'),
    maxPromptChars: read.integer('MAX_PROMPT_CHARS', 1_000_000, 1, 100_000_000),
    databaseUrl: read.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/model_orchestration', ['postgres:', 'postgresql:']),
    databasePoolSize: read.integer('DATABASE_POOL_SIZE', 10, 1, 200),
    databaseConnectTimeoutMs: read.integer('DATABASE_CONNECT_TIMEOUT_MS', 3000, 100, 600_000),
    databaseStatementTimeoutMs: read.integer('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 100, 86_400_000),
    redis: parseRedisUrl(read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:'])),
    redisKeyPrefix: read.matching('REDIS_KEY_PREFIX', /^[A-Za-z0-9_:.-]{1,64}$/, 'mos', 'letters, digits, _ : . - (1-64)'),
    redisChannelPrefix: read.matching('REDIS_CHANNEL_PREFIX', /^[A-Za-z0-9_:.-]{1,64}$/, '', 'letters, digits, _ : . - (1-64)'),
    adminToken: read.optional('ADMIN_TOKEN', /^.{16,}$/, 'at least 16 characters'),
    shutdownGraceMs: read.integer('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    asyncConcurrency: read.integer('ASYNC_CONCURRENCY', 4, 1, 1000),
    clientApiKeys,
    // Setting CLIENT_API_KEYS alone keeps meaning what it always did: clients need a key.
    clientAuth: read.oneOf('CLIENT_AUTH', ['off', 'keys'] as const, clientApiKeys.length > 0 ? 'keys' : 'off'),
    limitsWhenRedisDown: {
      rates: read.oneOf('RATE_LIMITS_WHEN_REDIS_DOWN', ['open', 'closed'] as const, 'open'),
      budgets: read.oneOf('BUDGETS_WHEN_REDIS_DOWN', ['open', 'closed'] as const, 'closed'),
    },
    encryptionKey: encryption.key,
    usingDevelopmentEncryptionKey: encryption.isDevelopmentKey,
    providers: {
      openai: { apiKey: read.optional('OPENAI_API_KEY'), baseUrl: read.optionalUrl('OPENAI_BASE_URL') },
      anthropic: { apiKey: read.optional('ANTHROPIC_API_KEY'), baseUrl: read.optionalUrl('ANTHROPIC_BASE_URL') },
      ollama: { baseUrl: read.optionalUrl('OLLAMA_BASE_URL') },
      local: { modelPath: readLocalModelPath(read), modelsDir: read.optional('MODELS_DIR') ?? './models' },
      timeoutMs: read.integer('PROVIDER_TIMEOUT_MS', 60_000, 100, 3_600_000),
    },
    requests: {
      maxAttempts: read.integer('MAX_ATTEMPTS', 3, 1, 100),
      timeoutMs: read.integer('REQUEST_TIMEOUT_MS', 120_000, 100, 86_400_000),
      maxTaskTypes: read.integer('MAX_TASK_TYPES', 200, 1, 100_000),
      instanceLeaseMs: read.integer('INSTANCE_LEASE_SECONDS', 15, 1, 3600) * 1000,
    },
    performance: {
      feedbackWeight: read.number('FEEDBACK_WEIGHT', 3, 0.1, 100),
      priorWeight: read.number('PERFORMANCE_PRIOR_WEIGHT', 5, 0, 1000),
      halfLifeMs: read.number('PERFORMANCE_HALF_LIFE_DAYS', 30, 0.01, 3650) * 24 * 60 * 60 * 1000,
      rollupIntervalMs: read.integer('ROLLUP_INTERVAL_SECONDS', 60, 1, 86_400) * 1000,
      maxEvidence: read.number('PERFORMANCE_MAX_EVIDENCE', 75, 1, 1_000_000),
    },
    routing: {
      exploration: readExploration(read),
      costWeight: read.number('ROUTING_COST_WEIGHT', 1, 0, 1_000_000),
      breakerThreshold: read.integer('ROUTING_BREAKER_THRESHOLD', 5, 1, 1000),
      promptKinds: read.integer('ROUTING_PROMPT_KINDS', 32, 0, 100),
      breakerCooldownMs: read.number('ROUTING_BREAKER_COOLDOWN_SECONDS', 30, 0.1, 86_400) * 1000,
    },
    metrics: {
      maxTaskTypes: read.integer('METRICS_MAX_TASK_TYPES', 50, 0, 10_000),
      maxKeys: read.integer('METRICS_MAX_KEYS', 100, 0, 10_000),
    },
    retention: {
      days: read.integer('REQUEST_RETENTION_DAYS', 30, 1, 36_500),
    },
    cache: {
      maxEntryBytes: read.integer('CACHE_MAX_ENTRY_BYTES', 256 * 1024, 1024, 512 * 1024 * 1024),
      maxBytes: read.integer('CACHE_MAX_BYTES', 64 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
      maxTtlSeconds: read.integer('CACHE_MAX_TTL_SECONDS', 86_400, 1, CACHE_TTL_CEILING_SECONDS),
    },
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readEncryptionKey(read: EnvReader, nodeEnv: AppConfig['nodeEnv']): { key: Buffer; isDevelopmentKey: boolean } {
  const raw = read.optional('ENCRYPTION_KEY');
  if (raw === null) {
    if (nodeEnv === 'production') read.problem('ENCRYPTION_KEY is required when NODE_ENV=production');
    return { key: DEVELOPMENT_ENCRYPTION_KEY, isDevelopmentKey: true };
  }
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) {
    read.problem('ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)');
  }
  return { key, isDevelopmentKey: false };
}

/** ROUTING_EXPLORATION: `on` (1, plain Thompson sampling), `off` (0, deterministic), or a share of requests from 0 to 1. */
function readExploration(read: EnvReader): number {
  const value = read.optional('ROUTING_EXPLORATION');
  if (value === null || value === 'on') return 1;
  if (value === 'off') return 0;
  const parsed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || parsed > 1) {
    read.problem(`ROUTING_EXPLORATION must be on, off or a number from 0 to 1 (got "${value}")`);
    return 1;
  }
  return parsed;
}

/** The demo model shipped in the repository (see models/README.md), served as the catalogue's `stories260k`. */
export const DEFAULT_LOCAL_MODEL_PATH = './models/stories260K.gguf';

/** LOCAL_MODEL_PATH: the GGUF file behind `stories260k`; the shipped demo model by default, `none` for no file. */
function readLocalModelPath(read: EnvReader): string | null {
  const value = read.optional('LOCAL_MODEL_PATH') ?? DEFAULT_LOCAL_MODEL_PATH;
  return value === 'none' ? null : value;
}

/** CLIENT_API_KEYS: comma-separated keys, each at least 16 characters. */
function readClientApiKeys(read: EnvReader): string[] {
  const keys = (read.optional('CLIENT_API_KEYS') ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key.length > 0);
  if (keys.some((key) => key.length < 16)) read.problem('CLIENT_API_KEYS must be comma-separated keys of at least 16 characters each');
  return keys;
}

function parseRedisUrl(value: string): RedisConnection {
  const url = new URL(value);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
  };
}

/** The process environment, for entry points (the app's `main`, the migration CLI). */
export function loadConfigFromEnvironment(): AppConfig {
  return loadConfig(process.env);
}
