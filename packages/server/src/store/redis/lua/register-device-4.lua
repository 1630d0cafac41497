--[[
  Registers or replaces a device, live until the given expiry, and cancels
  its pending disconnect grace (it is back), reporting when that grace would
  have ended (which tells when the device left).

  Input:
    KEYS[1] user-devices hash of the user
    KEYS[2] devices-expiry zset
    KEYS[3] graces zset
    KEYS[4] node-devices set of the registering node
    ARGV[1] key prefix (builds the previous node's key)
    ARGV[2] userId
    ARGV[3] deviceId
    ARGV[4] the device record, JSON { socketId, nodeId, connectedAt }
    ARGV[5] nodeId
    ARGV[6] socketId
    ARGV[7] liveness expiry (epoch ms)

  Output:
    { cameOnline (0|1), previous record JSON when its socket differs, else '',
      end of the cancelled grace (epoch ms) as a string, else '' }
]]
local devicesKey = KEYS[1]
local devicesExpiryKey = KEYS[2]
local gracesKey = KEYS[3]
local nodeKey = KEYS[4]
local prefix = ARGV[1]
local userId = ARGV[2]
local deviceId = ARGV[3]
local encoded = ARGV[4]
local nodeId = ARGV[5]
local socketId = ARGV[6]
local expiry = ARGV[7]

--- @include "keys"

local member = deviceMember(userId, deviceId)
local cameOnline = 0
if redis.call('EXISTS', devicesKey) == 0 then
  cameOnline = 1
end

local replaced = ''
local previous = redis.call('HGET', devicesKey, deviceId)
if previous then
  local record = cjson.decode(previous)
  if record.nodeId ~= nodeId then
    redis.call('SREM', nodeDevicesKey(prefix, record.nodeId), member)
  end
  if record.socketId ~= socketId then
    replaced = previous
  end
end

redis.call('HSET', devicesKey, deviceId, encoded)
redis.call('ZADD', devicesExpiryKey, expiry, member)
redis.call('SADD', nodeKey, member)
local graceEndsAt = redis.call('ZSCORE', gracesKey, member) or ''
redis.call('ZREM', gracesKey, member)
return { cameOnline, replaced, graceEndsAt }
