--[[
  For each device whose disconnect grace passed and that did not come back,
  ends (reason disconnected) each live call where it is a participant device:
  the caller device, or the callee device that accepted. Each grace is taken
  out of the zset here, so one caller handles it. Stops taking graces once
  `limit` calls ended; the rest wait for the next round.

  Input:
    KEYS[1] graces zset
    KEYS[2] ring-deadlines zset
    ARGV[1] key prefix (builds device, call and user keys)
    ARGV[2] now (epoch ms)
    ARGV[3] limit
    ARGV[4] retainMs
    ARGV[5] historyMax: history records kept per user

  Output:
    { { HGETALL of the ended call, presence of the users whose last live call it was }, ... }
]]
local gracesKey = KEYS[1]
local ringDeadlinesKey = KEYS[2]
local prefix = ARGV[1]
local now = ARGV[2]
local limit = tonumber(ARGV[3])
local retainMs = ARGV[4]
local historyMax = ARGV[5]

--- @include "end-call"

local function isParticipant(call, userId, deviceId)
  return (call[2] == userId and call[3] == deviceId) or (call[4] == userId and call[5] == deviceId)
end

local ended = {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', gracesKey, '-inf', now, 'LIMIT', 0, limit)) do
  if #ended >= limit then
    break
  end
  redis.call('ZREM', gracesKey, member)
  local userId, deviceId = splitDeviceMember(member)
  if redis.call('HEXISTS', userDevicesKey(prefix, userId), deviceId) == 0 then
    for _, callId in ipairs(redis.call('SMEMBERS', userCallsKey(prefix, userId))) do
      local call = redis.call('HMGET', callKey(prefix, callId),
        'state', 'callerUserId', 'callerDeviceId', 'calleeUserId', 'calleeDeviceId')
      if (call[1] == 'ringing' or call[1] == 'active') and isParticipant(call, userId, deviceId) then
        table.insert(ended, endCall(prefix, ringDeadlinesKey, callId, 'disconnected', '', '', now, retainMs, historyMax))
      end
    end
  end
end
return ended
