--[[
  A user's presence as the store's getPresence reads it, for a script that
  has just changed it to hand back: { online (1|0), lastSeen ('' when
  none), live calls }.
]]
--- @include "keys"

local function presenceOf(prefix, userId)
  local online = redis.call('EXISTS', userDevicesKey(prefix, userId))
  local seen = redis.call('GET', userSeenKey(prefix, userId)) or ''
  return { online, seen, redis.call('SCARD', userCallsKey(prefix, userId)) }
end
