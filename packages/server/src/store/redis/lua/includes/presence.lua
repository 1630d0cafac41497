--[[
  The presence of users whose `inCall` a script just flipped, as the store's
  getPresence reads it, for the script to hand back so that the change is
  announced without a second read: one { userId, online (1|0), lastSeen
  ('' when none), live calls } per user, in order.
]]
--- @include "keys"

local function presenceOf(prefix, userIds)
  local presence = {}
  for _, userId in ipairs(userIds) do
    local online = redis.call('EXISTS', userDevicesKey(prefix, userId))
    local seen = redis.call('GET', userSeenKey(prefix, userId)) or ''
    table.insert(presence, { userId, online, seen, redis.call('SCARD', userCallsKey(prefix, userId)) })
  end
  return presence
end
