--[[
  Extends a device's liveness if it is still registered with the given socket.

  Input:
    KEYS[1] user-devices hash of the user
    KEYS[2] devices-expiry zset
    ARGV[1] deviceId
    ARGV[2] device member (`userId\ndeviceId`)
    ARGV[3] socketId
    ARGV[4] new liveness expiry (epoch ms)

  Output:
    1 when extended, 0 when the device is gone or held by another socket
]]
local devicesKey = KEYS[1]
local devicesExpiryKey = KEYS[2]
local deviceId = ARGV[1]
local member = ARGV[2]
local socketId = ARGV[3]
local expiry = ARGV[4]

local encoded = redis.call('HGET', devicesKey, deviceId)
if not encoded or cjson.decode(encoded).socketId ~= socketId then
  return 0
end
redis.call('ZADD', devicesExpiryKey, expiry, member)
return 1
