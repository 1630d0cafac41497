--[[
  ringing -> active, a compare-and-set: of two devices accepting, the second
  finds the call active and gets the winner's call back.

  Input:
    KEYS[1] call hash
    KEYS[2] ring-deadlines zset
    ARGV[1] callId
    ARGV[2] deviceId of the accepting callee device
    ARGV[3] answer sdp, '' for none (an sdp is never empty)
    ARGV[4] now (epoch ms), the call's answeredAt

  Output:
    { 1, HGETALL }  accepted
    { -2, HGETALL } INVALID_STATE: not ringing
    { -1 }          CALL_NOT_FOUND
]]
local callKey = KEYS[1]
local ringDeadlinesKey = KEYS[2]
local callId = ARGV[1]
local deviceId = ARGV[2]
local answer = ARGV[3]
local now = ARGV[4]

local state = redis.call('HGET', callKey, 'state')
if not state then
  return { -1 }
end
if state ~= 'ringing' then
  return { -2, redis.call('HGETALL', callKey) }
end
redis.call('HSET', callKey, 'state', 'active', 'calleeDeviceId', deviceId, 'answeredAt', now)
if answer ~= '' then
  redis.call('HSET', callKey, 'answer', answer)
end
redis.call('ZREM', ringDeadlinesKey, callId)
return { 1, redis.call('HGETALL', callKey) }
