--[[
  Removes up to `limit` devices whose liveness passed.

  Input:
    KEYS[1] devices-expiry zset
    KEYS[2] graces zset
    ARGV[1] key prefix
    ARGV[2] now (epoch ms)
    ARGV[3] when the removed devices' grace ends (epoch ms)
    ARGV[4] limit

  Output:
    { { userId, deviceId, nodeId, socketId, wentOffline }, ... }
]]
local devicesExpiryKey = KEYS[1]
local gracesKey = KEYS[2]
local prefix = ARGV[1]
local now = ARGV[2]
local graceAt = ARGV[3]
local limit = ARGV[4]

--- @include "remove-device"

local removed = {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', devicesExpiryKey, '-inf', now, 'LIMIT', 0, limit)) do
  local userId, deviceId = splitDeviceMember(member)
  local encoded = redis.call('HGET', userDevicesKey(prefix, userId), deviceId)
  if encoded then
    table.insert(removed, removeDevice(prefix, devicesExpiryKey, gracesKey, userId, deviceId, cjson.decode(encoded), now, graceAt))
  else
    redis.call('ZREM', devicesExpiryKey, member)
  end
end
return removed
