import { ConfigError, loadConfig } from './app-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('boots on an empty environment with development defaults pointing at local Postgres and Redis', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/model_orchestration');
    expect(config.redis).toEqual({ host: '127.0.0.1', port: 6379, db: 0, username: undefined, password: undefined });
    expect(config.adminToken).toBeNull();
    expect(config.usingDevelopmentEncryptionKey).toBe(true);
    expect(config.encryptionKey).toHaveLength(32);
  });

  it('names every malformed variable in one error', () => {
    const problems = problemsOf({ PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://x', DATABASE_POOL_SIZE: '0' });
    expect(problems).toEqual([
      expect.stringContaining('PORT'),
      expect.stringContaining('LOG_LEVEL'),
      expect.stringContaining('DATABASE_POOL_SIZE'),
      expect.stringContaining('REDIS_URL'),
    ]);
  });

  it('logs at level log as JSON unless LOG_LEVEL and LOG_FORMAT say otherwise, naming a bad value', () => {
    expect(loadConfig({})).toMatchObject({ logLevel: 'log', logFormat: 'json' });
    expect(loadConfig({ LOG_LEVEL: 'warn', LOG_FORMAT: 'pretty' })).toMatchObject({ logLevel: 'warn', logFormat: 'pretty' });
    expect(problemsOf({ LOG_FORMAT: 'xml' })).toEqual([expect.stringContaining('LOG_FORMAT must be one of json, pretty')]);
  });

  it('bounds requests and database waits by default, and reads the bounds from the environment', () => {
    expect(loadConfig({})).toMatchObject({
      databaseConnectTimeoutMs: 3000,
      databaseStatementTimeoutMs: 30_000,
      requests: { maxAttempts: 3, timeoutMs: 120_000, maxTaskTypes: 200, instanceLeaseMs: 15_000 },
    });
    const env = { MAX_ATTEMPTS: '5', REQUEST_TIMEOUT_MS: '9000', MAX_TASK_TYPES: '10', INSTANCE_LEASE_SECONDS: '2' };
    expect(loadConfig(env).requests).toEqual({ maxAttempts: 5, timeoutMs: 9000, maxTaskTypes: 10, instanceLeaseMs: 2000 });
    expect(problemsOf({ MAX_ATTEMPTS: '0', DATABASE_CONNECT_TIMEOUT_MS: 'soon' })).toEqual([
      expect.stringContaining('DATABASE_CONNECT_TIMEOUT_MS'),
      expect.stringContaining('MAX_ATTEMPTS'),
    ]);
  });

  it('requires a real encryption key in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringContaining('ENCRYPTION_KEY is required')]);
  });

  it('accepts a 32-byte key as hex or base64 and rejects other lengths', () => {
    const hex = 'ab'.repeat(32);
    expect(loadConfig({ ENCRYPTION_KEY: hex }).encryptionKey.toString('hex')).toBe(hex);
    const base64 = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ ENCRYPTION_KEY: base64 }).encryptionKey).toEqual(Buffer.alloc(32, 7));
    expect(problemsOf({ ENCRYPTION_KEY: 'short' })).toEqual([expect.stringContaining('ENCRYPTION_KEY must be 32 bytes')]);
  });

  it('rejects a short admin token without echoing it', () => {
    const problems = problemsOf({ ADMIN_TOKEN: 'secret' });
    expect(problems).toEqual([expect.stringContaining('ADMIN_TOKEN must be at least 16 characters')]);
    expect(problems.join()).not.toContain('secret');
  });

  it('reads comma-separated client API keys, leaving /v1 open when none are set', () => {
    expect(loadConfig({}).clientApiKeys).toEqual([]);
    expect(loadConfig({ CLIENT_API_KEYS: ' client-key-aaaaaaaaaa , client-key-bbbbbbbbbb,' }).clientApiKeys).toEqual([
      'client-key-aaaaaaaaaa',
      'client-key-bbbbbbbbbb',
    ]);
  });

  it('rejects a short client API key without echoing it', () => {
    const problems = problemsOf({ CLIENT_API_KEYS: 'client-key-aaaaaaaaaa,tiny-key' });
    expect(problems).toEqual([expect.stringContaining('CLIENT_API_KEYS must be comma-separated keys of at least 16 characters')]);
    expect(problems.join()).not.toContain('tiny-key');
  });

  it('limits prompts to a million characters unless MAX_PROMPT_CHARS says otherwise, naming a bad value', () => {
    expect(loadConfig({}).maxPromptChars).toBe(1_000_000);
    expect(loadConfig({ MAX_PROMPT_CHARS: '50000' }).maxPromptChars).toBe(50_000);
    expect(problemsOf({ MAX_PROMPT_CHARS: '0' })).toEqual([expect.stringContaining('MAX_PROMPT_CHARS must be an integer from 1 to 100000000')]);
    expect(problemsOf({ MAX_PROMPT_CHARS: '1e6' })).toEqual([expect.stringContaining('MAX_PROMPT_CHARS must be an integer')]);
  });

  it('parses credentials and database index from REDIS_URL', () => {
    expect(loadConfig({ REDIS_URL: 'redis://user:p%40ss@redis.internal:6380/2' }).redis).toEqual({
      host: 'redis.internal',
      port: 6380,
      db: 2,
      username: 'user',
      password: 'p@ss',
    });
  });

  it('keeps the SPEC channel names unless REDIS_CHANNEL_PREFIX is set, naming a bad value', () => {
    expect(loadConfig({})).toMatchObject({ redisKeyPrefix: 'mos', redisChannelPrefix: '' });
    expect(loadConfig({ REDIS_CHANNEL_PREFIX: 'team-a:' }).redisChannelPrefix).toBe('team-a:');
    expect(problemsOf({ REDIS_CHANNEL_PREFIX: 'has space' })).toEqual([expect.stringContaining('REDIS_CHANNEL_PREFIX')]);
  });

  it('reads performance settings, with feedback worth three observations by default', () => {
    expect(loadConfig({}).performance).toEqual({
      feedbackWeight: 3,
      priorWeight: 5,
      halfLifeMs: 30 * 86_400_000,
      rollupIntervalMs: 60_000,
      maxEvidence: 75,
    });
    expect(loadConfig({ FEEDBACK_WEIGHT: '2.5', PERFORMANCE_HALF_LIFE_DAYS: '7' }).performance).toMatchObject({
      feedbackWeight: 2.5,
      halfLifeMs: 7 * 86_400_000,
    });
    expect(problemsOf({ FEEDBACK_WEIGHT: 'heavy' })).toEqual([expect.stringContaining('FEEDBACK_WEIGHT must be a number')]);
  });

  it('reads routing settings: Thompson sampling on, cost weighted at 1 per USD, circuits open after 5 failures for 30 s, 32 kinds learned from prompts', () => {
    expect(loadConfig({}).routing).toEqual({ exploration: 1, costWeight: 1, breakerThreshold: 5, breakerCooldownMs: 30_000, promptKinds: 32 });
    expect(
      loadConfig({
        ROUTING_EXPLORATION: '0.25',
        ROUTING_COST_WEIGHT: '4',
        ROUTING_BREAKER_THRESHOLD: '2',
        ROUTING_BREAKER_COOLDOWN_SECONDS: '1.5',
        ROUTING_PROMPT_KINDS: '0',
      }).routing,
    ).toEqual({ exploration: 0.25, costWeight: 4, breakerThreshold: 2, breakerCooldownMs: 1500, promptKinds: 0 });
    expect(problemsOf({ ROUTING_PROMPT_KINDS: '101' })).toEqual([expect.stringContaining('ROUTING_PROMPT_KINDS must be an integer from 0 to 100')]);
  });

  it('keeps finished requests and observations 30 days unless REQUEST_RETENTION_DAYS says otherwise, in whole days', () => {
    expect(loadConfig({}).retention).toEqual({ days: 30 });
    expect(loadConfig({ REQUEST_RETENTION_DAYS: '7' }).retention).toEqual({ days: 7 });
    for (const bad of ['0', '1.5', 'forever', '-3']) {
      expect(problemsOf({ REQUEST_RETENTION_DAYS: bad })).toEqual([expect.stringContaining('REQUEST_RETENTION_DAYS must be an integer from 1 to 36500')]);
    }
  });

  it('caps the response cache at 256 KiB an entry, 64 MiB in all and a day of TTL unless told otherwise', () => {
    expect(loadConfig({}).cache).toEqual({ maxEntryBytes: 262_144, maxBytes: 67_108_864, maxTtlSeconds: 86_400 });
    expect(loadConfig({ CACHE_MAX_ENTRY_BYTES: '2048', CACHE_MAX_BYTES: '4096', CACHE_MAX_TTL_SECONDS: '60' }).cache).toEqual({
      maxEntryBytes: 2048,
      maxBytes: 4096,
      maxTtlSeconds: 60,
    });
    expect(problemsOf({ CACHE_MAX_TTL_SECONDS: '0' })).toEqual([expect.stringContaining('CACHE_MAX_TTL_SECONDS must be an integer from 1 to 31536000')]);
    expect(problemsOf({ CACHE_MAX_BYTES: '1mb' })).toEqual([expect.stringContaining('CACHE_MAX_BYTES must be an integer')]);
  });

  it('turns exploration off or on by name', () => {
    expect(loadConfig({ ROUTING_EXPLORATION: 'off' }).routing.exploration).toBe(0);
    expect(loadConfig({ ROUTING_EXPLORATION: 'on' }).routing.exploration).toBe(1);
  });

  it('names bad routing settings', () => {
    expect(problemsOf({ ROUTING_EXPLORATION: 'sometimes', ROUTING_COST_WEIGHT: '-1', ROUTING_BREAKER_THRESHOLD: '0' })).toEqual([
      expect.stringContaining('ROUTING_EXPLORATION must be on, off or a number from 0 to 1'),
      expect.stringContaining('ROUTING_COST_WEIGHT must be a number'),
      expect.stringContaining('ROUTING_BREAKER_THRESHOLD must be an integer'),
    ]);
    expect(problemsOf({ ROUTING_EXPLORATION: '1.5' })).toEqual([expect.stringContaining('ROUTING_EXPLORATION')]);
    expect(problemsOf({ PERFORMANCE_MAX_EVIDENCE: '0' })).toEqual([expect.stringContaining('PERFORMANCE_MAX_EVIDENCE must be a number')]);
  });
});
