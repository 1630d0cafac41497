--[[
  Records the first callee device that reported ringing.

  Input:
    KEYS[1] call hash
    ARGV[1] userId of the ringing device
    ARGV[2] deviceId of the ringing device

  Output:
    { 1, HGETALL }  recorded, this device was the first
    { 0, HGETALL }  ringing, but another device was first
    { -2, HGETALL } INVALID_STATE: not ringing
    { -1 }          CALL_NOT_FOUND
]]
local callKey = KEYS[1]
local userId = ARGV[1]
local deviceId = ARGV[2]

local state = redis.call('HGET', callKey, 'state')
if not state then
  return { -1 }
end
if state ~= 'ringing' then
  return { -2, redis.call('HGETALL', callKey) }
end
if redis.call('HEXISTS', callKey, 'ringingByUserId') == 1 then
  return { 0, redis.call('HGETALL', callKey) }
end
redis.call('HSET', callKey, 'ringingByUserId', userId, 'ringingByDeviceId', deviceId)
return { 1, redis.call('HGETALL', callKey) }
