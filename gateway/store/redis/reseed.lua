-- Portcullis: puts back records a replica holds that Redis lacks (Redis restarted empty, or lost its
-- last writes), and the lifts (tombstones) it knows of. One portal, one collection, one slot, atomic.
-- Every write is conditional, so two replicas re-seeding at once, or a replica re-seeding twice, end
-- in the same state whatever their order: the newest version of each id wins, a lift included.
--
-- KEYS[1]  pc:{p}:rec:<c>   hash  id -> record JSON
-- KEYS[2]  pc:{p}:ver:<c>   hash  id -> version (ms of the write that made it, the writer's clock)
-- KEYS[3]  pc:{p}:gone:<c>  zset  id scored by the ms of its deletion (tombstones)
-- ARGV[1]  how many records follow; then per record: id, JSON, version; then per tombstone: id, deletedAtMs
-- Returns { restored, skipped (a newer version or a later lift is in Redis), lifted (tombstones that removed an older copy) }
local n = tonumber(ARGV[1])
local restored, skipped, lifted = 0, 0, 0
local i = 2
local function versionOf(id)
  if redis.call('HEXISTS', KEYS[1], id) == 0 then return nil end
  -- A record written before versions were kept counts as the oldest.
  return tonumber(redis.call('HGET', KEYS[2], id) or '-1')
end
for _ = 1, n do
  local id, json, v = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  i = i + 3
  local goneAt = tonumber(redis.call('ZSCORE', KEYS[3], id) or '-1')
  local current = versionOf(id)
  if goneAt >= v or (current ~= nil and current >= v) then
    skipped = skipped + 1
  else
    redis.call('HSET', KEYS[1], id, json)
    redis.call('HSET', KEYS[2], id, v)
    redis.call('ZREM', KEYS[3], id)
    restored = restored + 1
  end
end
while i <= #ARGV do
  local id, at = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  local goneAt = tonumber(redis.call('ZSCORE', KEYS[3], id) or '-1')
  local current = versionOf(id)
  -- On a tie the deletion wins, whichever came first (the record's check above skips it too).
  if current ~= nil and current <= at then
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    lifted = lifted + 1
    current = nil
  end
  if at > goneAt and current == nil then redis.call('ZADD', KEYS[3], at, id) end
end
return { restored, skipped, lifted }
