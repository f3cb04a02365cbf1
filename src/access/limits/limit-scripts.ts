/**
 * The limits' Lua scripts: Redis runs each atomically, so instances checking the same key at the
 * same moment are served one after the other and cannot both take the last unit. Time is Redis's
 * own (`TIME`), the same for every instance whatever their clocks say. Money is counted in integer
 * nano-dollars (HINCRBY adds integers exactly).
 *
 * Keys of one client key: RPM, a sorted set of request ids by admission time (a sliding minute);
 * TPM, a token bucket (`level`, `at`) refilled at TPM per minute; concurrency, a sorted set of
 * running request ids by lease end; `held`, budget reservations by lease end (so a reservation of
 * an instance that died is given back); one hash per budget period with `spent`, `reserved` and
 * `r:<request id>` per reservation.
 */

/** Removes the budget reservations of requests whose lease ran out. */
const RECLAIM = `
local function reclaim(now, first_budget)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 100)
  for _, old in ipairs(expired) do
    for i = first_budget, #KEYS do
      local amount = redis.call('HGET', KEYS[i], 'r:' .. old)
      if amount then
        redis.call('HINCRBY', KEYS[i], 'reserved', -tonumber(amount))
        redis.call('HDEL', KEYS[i], 'r:' .. old)
      end
    end
    redis.call('ZREM', KEYS[4], old)
  end
end
`;

/**
 * KEYS: rpm, tpm, concurrency, held, then one hash per budget period.
 * ARGV: request id, rpm limit, tpm limit, tokens, concurrency limit, lease ms, amount (nano-USD),
 * then per budget period: limit (nano-USD), retry after (ms).
 * Returns {'ok', 0}, {<refusal code>, retry after ms}, or {'unseeded', index of the period} when a
 * period's spend is not in Redis (first use, or Redis lost it): the caller seeds it from Postgres.
 */
export const ADMIT = `${RECLAIM}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ARGV[1]
local rpm, tpm, tokens, conc, lease, amount = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
reclaim(now, 5)

for i = 5, #KEYS do
  if redis.call('HEXISTS', KEYS[i], 'spent') == 0 then return {'unseeded', i - 5} end
end
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
  if redis.call('ZCARD', KEYS[1]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {'rate_limited', tonumber(oldest[2]) + 60000 - now}
  end
end
local level = 0
local take = math.min(tokens, tpm)
if tpm > 0 then
  local state = redis.call('HMGET', KEYS[2], 'level', 'at')
  level = math.min(tpm, (tonumber(state[1]) or tpm) + (now - (tonumber(state[2]) or now)) * tpm / 60000)
  if level < take then return {'rate_limited', math.ceil((take - level) * 60000 / tpm)} end
end
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= conc then return {'concurrency_limited', 1000} end
end
for i = 5, #KEYS do
  local j = 8 + (i - 5) * 2
  local state = redis.call('HMGET', KEYS[i], 'spent', 'reserved')
  if (tonumber(state[1]) or 0) + (tonumber(state[2]) or 0) + amount > tonumber(ARGV[j]) then
    return {'budget_exceeded', tonumber(ARGV[j + 1])}
  end
end

if rpm > 0 then
  redis.call('ZADD', KEYS[1], now, id)
  redis.call('PEXPIRE', KEYS[1], 60000)
end
if tpm > 0 then
  redis.call('HSET', KEYS[2], 'level', tostring(level - take), 'at', now)
  redis.call('PEXPIRE', KEYS[2], 120000)
end
if conc > 0 then
  redis.call('ZADD', KEYS[3], now + lease, id)
  redis.call('PEXPIRE', KEYS[3], lease)
end
if #KEYS >= 5 then
  redis.call('ZADD', KEYS[4], now + lease, id)
  redis.call('PEXPIRE', KEYS[4], lease)
  for i = 5, #KEYS do
    redis.call('HINCRBY', KEYS[i], 'reserved', amount)
    redis.call('HSET', KEYS[i], 'r:' .. id, amount)
  end
end
return {'ok', 0}
`;

/**
 * KEYS: as ADMIT's. ARGV: request id, tpm limit, tokens taken, tokens used, cost (nano-USD).
 * Gives back what the request did not use (or takes what it used beyond its reservation), ends its
 * concurrency slot and turns its budget reservation into spend. A period whose spend Redis lost is
 * left to be seeded from Postgres, which by then holds this request's cost.
 */
export const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ARGV[1]
local tpm, taken, used, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if tpm > 0 then
  local state = redis.call('HMGET', KEYS[2], 'level', 'at')
  local level = math.min(tpm, (tonumber(state[1]) or tpm) + (now - (tonumber(state[2]) or now)) * tpm / 60000)
  redis.call('HSET', KEYS[2], 'level', tostring(math.min(tpm, level + taken - used)), 'at', now)
  redis.call('PEXPIRE', KEYS[2], 120000)
end
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
for i = 5, #KEYS do
  local amount = redis.call('HGET', KEYS[i], 'r:' .. id)
  if amount then
    redis.call('HINCRBY', KEYS[i], 'reserved', -tonumber(amount))
    redis.call('HDEL', KEYS[i], 'r:' .. id)
  end
  if redis.call('HEXISTS', KEYS[i], 'spent') == 1 then redis.call('HINCRBY', KEYS[i], 'spent', cost) end
end
return 1
`;

/** KEYS: one budget period's hash. ARGV: spend so far (nano-USD, from Postgres), ttl (s, 0 for none). */
export const SEED = `
if redis.call('HSETNX', KEYS[1], 'spent', ARGV[1]) == 1 and tonumber(ARGV[2]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
`;
