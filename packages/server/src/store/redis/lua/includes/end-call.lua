--[[
  Ends a live call: records reason, endedAt and (when given) who ended it,
  drops it from both users' live sets and from the ring deadlines, and lets
  the call and its candidates expire retainMs later.
  Returns { HGETALL of the ended call, { userIds whose last live call it was } }.
]]
--- @include "keys"

local function endCall(prefix, ringDeadlinesKey, callId, reason, byUserId, byDeviceId, now, retainMs)
  local key = callKey(prefix, callId)
  redis.call('HSET', key, 'state', 'ended', 'endReason', reason, 'endedAt', now)
  if byUserId ~= '' then
    redis.call('HSET', key, 'endedByUserId', byUserId, 'endedByDeviceId', byDeviceId)
  end
  redis.call('PEXPIRE', key, retainMs)
  redis.call('PEXPIRE', candidatesKey(prefix, callId), retainMs)
  redis.call('ZREM', ringDeadlinesKey, callId)

  local changed = {}
  local users = redis.call('HMGET', key, 'callerUserId', 'calleeUserId')
  for _, userId in ipairs(users) do
    local callsKey = userCallsKey(prefix, userId)
    if redis.call('SREM', callsKey, callId) == 1 and redis.call('SCARD', callsKey) == 0 then
      table.insert(changed, userId)
    end
  end
  return { redis.call('HGETALL', key), changed }
end
