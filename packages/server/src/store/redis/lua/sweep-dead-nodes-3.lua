--[[
  Sweeps every node whose liveness passed: removes it and each device still
  registered through it, as expire-devices does. One script, so each dead
  node is swept by exactly one caller.

  Input:
    KEYS[1] nodes zset (nodeId -> liveness expiry)
    KEYS[2] devices-expiry zset
    KEYS[3] graces zset
    ARGV[1] key prefix (builds per-user and per-node keys)
    ARGV[2] now (epoch ms)
    ARGV[3] when the removed devices' grace ends (epoch ms)

  Output:
    { { userId, deviceId, nodeId, socketId, wentOffline }, ... }
]]
local nodesKey = KEYS[1]
local devicesExpiryKey = KEYS[2]
local gracesKey = KEYS[3]
local prefix = ARGV[1]
local now = ARGV[2]
local graceAt = ARGV[3]

--- @include "remove-device"

local removed = {}
for _, nodeId in ipairs(redis.call('ZRANGEBYSCORE', nodesKey, '-inf', now)) do
  redis.call('ZREM', nodesKey, nodeId)
  local nodeKey = nodeDevicesKey(prefix, nodeId)
  for _, member in ipairs(redis.call('SMEMBERS', nodeKey)) do
    local userId, deviceId = splitDeviceMember(member)
    local encoded = redis.call('HGET', userDevicesKey(prefix, userId), deviceId)
    if encoded then
      local record = cjson.decode(encoded)
      -- A device that moved to another node since is that node's to keep.
      if record.nodeId == nodeId then
        table.insert(removed, removeDevice(prefix, devicesExpiryKey, gracesKey, userId, deviceId, record, now, graceAt))
      end
    end
  end
  redis.call('DEL', nodeKey)
end
return removed
