--[[
  Keys a script can only name after reading data (a call's users, a device's
  node). Mirrors keys.ts: `prefix` is `<keyPrefix>:{s}:`, whose hash tag keeps
  these keys in the slot of the script's declared KEYS, as Redis Cluster needs.
]]
local function callKey(prefix, callId)
  return prefix .. 'call:' .. callId
end

local function candidatesKey(prefix, callId)
  return prefix .. 'call-cand:' .. callId
end

local function userDevicesKey(prefix, userId)
  return prefix .. 'user-devices:' .. userId
end

local function userSeenKey(prefix, userId)
  return prefix .. 'user-seen:' .. userId
end

local function userCallsKey(prefix, userId)
  return prefix .. 'user-calls:' .. userId
end

local function historyKey(prefix, userId)
  return prefix .. 'history:' .. userId
end

local function nodeDevicesKey(prefix, nodeId)
  return prefix .. 'node-devices:' .. nodeId
end

-- A device as one zset/set member: `userId\ndeviceId` (neither id can hold a
-- newline, while both may hold `:`, `.` or `@`).
local function deviceMember(userId, deviceId)
  return userId .. '\n' .. deviceId
end

local function splitDeviceMember(member)
  local at = string.find(member, '\n', 1, true)
  return string.sub(member, 1, at - 1), string.sub(member, at + 1)
end
