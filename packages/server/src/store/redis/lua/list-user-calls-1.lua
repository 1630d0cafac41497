--[[
  Reads a user's live calls in one step, so no call is seen half-ended.

  Input:
    KEYS[1] user-calls set of the user
    ARGV[1] key prefix (builds call keys)

  Output:
    { HGETALL of each live call, ... }
]]
local userCallsSetKey = KEYS[1]
local prefix = ARGV[1]

--- @include "keys"

local calls = {}
for _, callId in ipairs(redis.call('SMEMBERS', userCallsSetKey)) do
  local call = redis.call('HGETALL', callKey(prefix, callId))
  if #call > 0 then
    table.insert(calls, call)
  end
end
return calls
