/**
 * The response cache's Lua scripts: Redis runs each atomically, so the size counter always agrees
 * with the entries it counts, whatever instances store at once. Time is Redis's own (`TIME`).
 *
 * KEYS (both scripts): the index (sorted set: entry id by insertion time, oldest evicted first),
 * the expiries (sorted set: entry id by expiry time), the sizes (hash: entry id to bytes), the
 * total (integer: bytes of every indexed entry), then the entry itself (a string with a TTL).
 * ARGV[1] is the prefix of entry keys (an entry's key is the prefix and its id); ARGV[2] its id.
 */
const COMMON = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function forget(id)
  local size = redis.call('HGET', KEYS[3], id)
  if size then
    redis.call('DECRBY', KEYS[4], size)
    redis.call('HDEL', KEYS[3], id)
  end
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end

-- Entries that expired stop counting against the cap (a bounded batch per call).
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
for _, id in ipairs(expired) do
  if redis.call('EXISTS', ARGV[1] .. id) == 0 then forget(id) end
end
`;

/**
 * ARGV: entry prefix, id, value, ttl (ms), cap (bytes). Stores the entry (replacing one of the same
 * id), counts its size, then evicts the oldest entries until the total is within the cap.
 * Returns how many were evicted.
 */
export const STORE = `${COMMON}
forget(ARGV[2])
local size = string.len(ARGV[3])
local ttl = tonumber(ARGV[4])
redis.call('SET', KEYS[5], ARGV[3], 'PX', ttl)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], size)
local total = redis.call('INCRBY', KEYS[4], size)
local evicted = 0
while total > tonumber(ARGV[5]) do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #oldest == 0 then break end
  redis.call('DEL', ARGV[1] .. oldest[1])
  forget(oldest[1])
  evicted = evicted + 1
  total = tonumber(redis.call('GET', KEYS[4]) or '0')
end
return evicted
`;

/** ARGV: entry prefix, id. The entry's value, or nil; an entry gone while still indexed stops counting. */
export const LOOKUP = `${COMMON}
local value = redis.call('GET', KEYS[5])
if not value and redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then forget(ARGV[2]) end
return value
`;
