--[[
  Extends the liveness of several devices, each only if it is still
  registered with the given socket. One call serves every refresh a node
  has ready at once (a burst of pongs), instead of a round trip each.

  Input:
    KEYS[1] devices-expiry zset
    ARGV[1] key prefix (builds each user's user-devices hash)
    then, per device, four arguments from ARGV[2]:
      userId, deviceId, socketId, new liveness expiry (epoch ms)

  Output:
    one number per device, in order: 1 when extended, 0 when the device
    is gone, 2 when another socket holds it (this socket was replaced)
]]
--- @include "keys"

local devicesExpiryKey = KEYS[1]
local prefix = ARGV[1]

local touched = {}
for i = 2, #ARGV, 4 do
  local userId, deviceId, socketId, expiry = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local encoded = redis.call('HGET', userDevicesKey(prefix, userId), deviceId)
  if not encoded then
    table.insert(touched, 0)
  elseif cjson.decode(encoded).socketId == socketId then
    redis.call('ZADD', devicesExpiryKey, expiry, deviceMember(userId, deviceId))
    table.insert(touched, 1)
  else
    table.insert(touched, 2)
  end
end
return touched
