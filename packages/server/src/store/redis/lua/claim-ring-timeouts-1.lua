--[[
  Ends (reason timeout) ringing calls whose deadline passed. Every node runs
  this checker; taking each deadline out of the zset inside the script is
  what lets exactly one of them end each call.

  Input:
    KEYS[1] ring-deadlines zset
    ARGV[1] key prefix (builds call and user keys)
    ARGV[2] now (epoch ms)
    ARGV[3] limit: deadlines looked at in this round
    ARGV[4] retainMs
    ARGV[5] historyMax: history records kept per user

  Output:
    { { HGETALL of the ended call, presence of the users whose last live call it was }, ... }
]]
local ringDeadlinesKey = KEYS[1]
local prefix = ARGV[1]
local now = ARGV[2]
local limit = ARGV[3]
local retainMs = ARGV[4]
local historyMax = ARGV[5]

--- @include "end-call"

local ended = {}
for _, callId in ipairs(redis.call('ZRANGEBYSCORE', ringDeadlinesKey, '-inf', now, 'LIMIT', 0, limit)) do
  redis.call('ZREM', ringDeadlinesKey, callId)
  if redis.call('HGET', callKey(prefix, callId), 'state') == 'ringing' then
    table.insert(ended, endCall(prefix, ringDeadlinesKey, callId, 'timeout', '', '', now, retainMs, historyMax))
  end
end
return ended
