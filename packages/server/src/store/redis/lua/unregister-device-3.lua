--[[
  Removes a device if it is still registered with the given socket: a
  replaced socket's late disconnect must not remove its successor.

  Input:
    KEYS[1] user-devices hash of the user
    KEYS[2] devices-expiry zset
    KEYS[3] graces zset
    ARGV[1] key prefix
    ARGV[2] userId
    ARGV[3] deviceId
    ARGV[4] socketId
    ARGV[5] now (epoch ms), the user's lastSeen if this was the last device
    ARGV[6] when the device's grace ends (epoch ms)

  Output:
    { removed (0|1), wentOffline (0|1) }
]]
local devicesKey = KEYS[1]
local devicesExpiryKey = KEYS[2]
local gracesKey = KEYS[3]
local prefix = ARGV[1]
local userId = ARGV[2]
local deviceId = ARGV[3]
local socketId = ARGV[4]
local now = ARGV[5]
local graceAt = ARGV[6]

--- @include "remove-device"

local encoded = redis.call('HGET', devicesKey, deviceId)
if not encoded then
  return { 0, 0 }
end
local record = cjson.decode(encoded)
if record.socketId ~= socketId then
  return { 0, 0 }
end
local removed = removeDevice(prefix, devicesExpiryKey, gracesKey, userId, deviceId, record, now, graceAt)
return { 1, removed[5] }
