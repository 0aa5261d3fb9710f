-- Portcullis: the counters of one request, read and updated in one call (one portal, one slot).
--
-- KEYS[i]  the key of op i: a hash of sub-bucket counts (count), or a sorted set member -> bucket (distinct)
-- ARGV[1]  nowMs, from the gateway's clock (never Redis TIME, so tests move time and replayed adds keep theirs)
-- ARGV[2]  maxDistinct: members kept per distinct key (oldest sightings go first)
-- then per op, 5 values: type ('c' | 'd'), windowMs, bucketMs, add (events to add: '0' reads only), member (distinct adds)
--
-- Bucket arithmetic is that of gateway/signals/counters/window.ts, so both stores agree exactly:
-- bucket index = floor(t / bucketMs); a bucket counts while index >= floor((now - windowMs) / bucketMs)
-- (and, for counts, index <= floor(now / bucketMs)).
local now = tonumber(ARGV[1])
local maxDistinct = tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local base = 2 + (i - 1) * 5
  local kind = ARGV[base + 1]
  local windowMs = tonumber(ARGV[base + 2])
  local bucketMs = tonumber(ARGV[base + 3])
  local times = tonumber(ARGV[base + 4])
  local add = times > 0
  local newest = math.floor(now / bucketMs)
  local oldest = math.floor((now - windowMs) / bucketMs)
  -- The key outlives its newest bucket by the window, plus slack for clock skew between replicas.
  local ttl = windowMs + 2 * bucketMs
  if kind == 'c' then
    if add then
      redis.call('HINCRBY', key, string.format('%d', newest), times)
      redis.call('PEXPIRE', key, ttl)
    end
    local fields = redis.call('HGETALL', key)
    local total = 0
    local stale = {}
    for j = 1, #fields, 2 do
      local index = tonumber(fields[j])
      if index < oldest then
        stale[#stale + 1] = fields[j]
      elseif index <= newest then
        total = total + tonumber(fields[j + 1])
      end
    end
    if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
    out[i] = total
  else
    if add then
      -- GT: a replayed (older) sighting never moves a member back in time.
      redis.call('ZADD', key, 'GT', newest, ARGV[base + 5])
      redis.call('PEXPIRE', key, ttl)
    end
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%d', oldest))
    local n = redis.call('ZCARD', key)
    if n > maxDistinct then
      redis.call('ZREMRANGEBYRANK', key, 0, n - maxDistinct - 1)
      n = maxDistinct
    end
    out[i] = n
  end
end
return out
