--[[
  Ends a call whose state is one of the given ones, and records it in both
  users' histories (see includes/end-call.lua).

  Input:
    KEYS[1] call hash
    KEYS[2] ring-deadlines zset
    ARGV[1] key prefix (builds both users' live-call sets)
    ARGV[2] callId
    ARGV[3] the states it may end from, space separated ('ringing active')
    ARGV[4] end reason
    ARGV[5] userId of the device that ended it, '' for none
    ARGV[6] deviceId of that device, '' for none
    ARGV[7] now (epoch ms), the call's endedAt
    ARGV[8] retainMs: how long the ended call stays readable
    ARGV[9] historyMax: history records kept per user

  Output:
    { 1, HGETALL, presence of the users whose last live call it was }  ended
    { -2, HGETALL } INVALID_STATE: not in one of the given states
    { -1 }          CALL_NOT_FOUND
]]
local callHashKey = KEYS[1]
local ringDeadlinesKey = KEYS[2]
local prefix = ARGV[1]
local callId = ARGV[2]
local fromStates = ARGV[3]
local reason = ARGV[4]
local byUserId = ARGV[5]
local byDeviceId = ARGV[6]
local now = ARGV[7]
local retainMs = ARGV[8]
local historyMax = ARGV[9]

--- @include "end-call"

local state = redis.call('HGET', callHashKey, 'state')
if not state then
  return { -1 }
end
local allowed = false
for from in string.gmatch(fromStates, '%S+') do
  if from == state then
    allowed = true
  end
end
if not allowed then
  return { -2, redis.call('HGETALL', callHashKey) }
end
local ended = endCall(prefix, ringDeadlinesKey, callId, reason, byUserId, byDeviceId, now, retainMs, historyMax)
return { 1, ended[1], ended[2] }
