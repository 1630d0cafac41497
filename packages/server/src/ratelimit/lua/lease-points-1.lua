--[[
  Leases up to a number of points of a fixed-window limit to one node, which
  then spends them without asking Redis per request.

  Input:
    KEYS[1] the limit's counter for one key (points used in this window)
    ARGV[1] most points to lease
    ARGV[2] points per window (the limit)
    ARGV[3] window length (ms)

  Output:
    { granted, msLeft }: granted = 0 means the limit is reached; msLeft is
    what remains of the window (when the lease, or the refusal, ends).

  At most a quarter of what remains is leased (and always at least one
  point while any remains): points a node leased but did not spend count as
  used, so a device that moves to another node loses at most that quarter,
  and a small limit is leased one point at a time, exactly.
]]
local key = KEYS[1]
local want = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])

local used = tonumber(redis.call('GET', key) or '0')
local msLeft = redis.call('PTTL', key)
if msLeft < 0 then
  msLeft = windowMs
end
local remaining = limit - used
if remaining <= 0 then
  return { 0, msLeft }
end
local granted = math.min(want, math.max(1, math.floor(remaining / 4)))
redis.call('INCRBY', key, granted)
if redis.call('PTTL', key) < 0 then
  redis.call('PEXPIRE', key, windowMs)
end
return { granted, msLeft }
