--[[
  Ends a live call: records reason, endedAt and (when given) who ended it,
  drops it from both users' live sets and from the ring deadlines, and lets
  the call and its candidates expire retainMs later. In the same step it adds
  the call to both users' histories (zset scored by endedAt, member
  `<callId>\n<record JSON>`), each trimmed to its newest historyMax records.
  Returns { HGETALL of the ended call, the presence of the users whose last
  live call it was (see presence.lua) }.
]]
--- @include "keys"
--- @include "presence"

-- One user's history record: the contract's entry, plus `deviceId` (this
-- user's device in the call) and `endedBy`, which stay inside the server.
local function addHistory(prefix, userId, callId, record, endedAt, historyMax)
  local key = historyKey(prefix, userId)
  redis.call('ZADD', key, endedAt, callId .. '\n' .. cjson.encode(record))
  local excess = redis.call('ZCARD', key) - historyMax
  if excess > 0 then
    redis.call('ZREMRANGEBYRANK', key, 0, excess - 1)
  end
end

local function recordHistory(prefix, key, callId, historyMax)
  local c = redis.call('HMGET', key, 'callerUserId', 'callerDeviceId', 'calleeUserId', 'calleeDeviceId', 'media',
    'createdAt', 'answeredAt', 'endedAt', 'endReason', 'endedByUserId', 'endedByDeviceId')
  local endedAt = tonumber(c[8])
  local answeredAt = c[7] and tonumber(c[7]) or nil
  local duration = 0
  if answeredAt then
    duration = math.max(0, endedAt - answeredAt)
  end
  local endedBy = nil
  if c[10] then
    endedBy = { userId = c[10], deviceId = c[11] }
  end
  local function entry(direction, peerUserId, deviceId)
    return {
      callId = callId,
      direction = direction,
      peer = { userId = peerUserId },
      media = c[5],
      createdAt = tonumber(c[6]),
      answeredAt = answeredAt,
      endedAt = endedAt,
      durationMs = duration,
      reason = c[9],
      deviceId = deviceId or nil,
      endedBy = endedBy,
    }
  end
  addHistory(prefix, c[1], callId, entry('outgoing', c[3], c[2]), endedAt, historyMax)
  addHistory(prefix, c[3], callId, entry('incoming', c[1], c[4]), endedAt, historyMax)
end

local function endCall(prefix, ringDeadlinesKey, callId, reason, byUserId, byDeviceId, now, retainMs, historyMax)
  local key = callKey(prefix, callId)
  redis.call('HSET', key, 'state', 'ended', 'endReason', reason, 'endedAt', now)
  if byUserId ~= '' then
    redis.call('HSET', key, 'endedByUserId', byUserId, 'endedByDeviceId', byDeviceId)
  end
  redis.call('PEXPIRE', key, retainMs)
  redis.call('PEXPIRE', candidatesKey(prefix, callId), retainMs)
  redis.call('ZREM', ringDeadlinesKey, callId)
  recordHistory(prefix, key, callId, tonumber(historyMax))

  local changed = {}
  local users = redis.call('HMGET', key, 'callerUserId', 'calleeUserId')
  for _, userId in ipairs(users) do
    local callsKey = userCallsKey(prefix, userId)
    if redis.call('SREM', callsKey, callId) == 1 and redis.call('SCARD', callsKey) == 0 then
      table.insert(changed, userId)
    end
  end
  return { redis.call('HGETALL', key), presenceOf(prefix, changed) }
end
