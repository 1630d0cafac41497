--[[
  Removes one registered device: its record, liveness and node membership.
  Schedules its disconnect grace, and when it was the user's last device
  records when the user went offline.
  Returns the removal as the TS side reads it:
    { userId, deviceId, nodeId, socketId, wentOffline (0|1) }
]]
--- @include "keys"

local function removeDevice(prefix, devicesExpiryKey, gracesKey, userId, deviceId, record, now, graceAt)
  local devicesKey = userDevicesKey(prefix, userId)
  local member = deviceMember(userId, deviceId)
  redis.call('HDEL', devicesKey, deviceId)
  redis.call('ZREM', devicesExpiryKey, member)
  redis.call('SREM', nodeDevicesKey(prefix, record.nodeId), member)
  redis.call('ZADD', gracesKey, graceAt, member)
  local wentOffline = 0
  if redis.call('EXISTS', devicesKey) == 0 then
    redis.call('SET', userSeenKey(prefix, userId), now)
    wentOffline = 1
  end
  return { userId, deviceId, record.nodeId, record.socketId, wentOffline }
end
