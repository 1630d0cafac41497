--[[
  Appends a caller candidate while the call rings and fewer than `max` are
  kept: devices that start ringing late get them from here.

  Input:
    KEYS[1] call hash
    KEYS[2] call-cand list
    ARGV[1] candidate JSON
    ARGV[2] max kept

  Output:
    1 when appended, 0 when not
]]
local callKey = KEYS[1]
local candidatesKey = KEYS[2]
local candidate = ARGV[1]
local max = tonumber(ARGV[2])

if redis.call('HGET', callKey, 'state') ~= 'ringing' or redis.call('LLEN', candidatesKey) >= max then
  return 0
end
redis.call('RPUSH', candidatesKey, candidate)
return 1
