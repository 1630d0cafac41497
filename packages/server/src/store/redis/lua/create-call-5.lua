--[[
  Creates a ringing call, or answers an idempotent repeat. The checks run in
  the order store.ts documents, all in one script so that two crossing
  invites (glare) cannot both pass the concurrency guard.

  Input:
    KEYS[1] call hash
    KEYS[2] user-calls set of the caller
    KEYS[3] user-calls set of the callee
    KEYS[4] user-devices hash of the callee
    KEYS[5] ring-deadlines zset
    ARGV[1] callId
    ARGV[2] caller userId
    ARGV[3] caller deviceId
    ARGV[4] callee userId
    ARGV[5] media
    ARGV[6] offer sdp
    ARGV[7] metadata JSON, '' for none
    ARGV[8] now (epoch ms), the call's createdAt
    ARGV[9] expiresAt (epoch ms), the ring deadline
    ARGV[10] maxConcurrent
    ARGV[11] allowOffline ('1' or '0')
    ARGV[12] key prefix (builds both users' keys for their presence)

  Output:
    { 1, presence of the users whose first live call this is, pushed (0|1) }
                                                      created (presence as in includes/presence.lua);
                                                      pushed: the callee had no device (it rings
                                                      through the push webhook)
    { 0, HGETALL of the existing call }                 idempotent repeat
    -2 INVALID_STATE, -3 TOO_MANY_CALLS, -4 USER_OFFLINE, -5 BUSY
]]
-- First: the names below (callKey...) then shadow the include's key builders.
--- @include "presence"

local callKey = KEYS[1]
local callerCallsKey = KEYS[2]
local calleeCallsKey = KEYS[3]
local calleeDevicesKey = KEYS[4]
local ringDeadlinesKey = KEYS[5]
local callId = ARGV[1]
local callerUserId = ARGV[2]
local callerDeviceId = ARGV[3]
local calleeUserId = ARGV[4]
local media = ARGV[5]
local offer = ARGV[6]
local metadata = ARGV[7]
local now = ARGV[8]
local expiresAt = ARGV[9]
local maxConcurrent = tonumber(ARGV[10])
local allowOffline = ARGV[11] == '1'
local prefix = ARGV[12]

local existing = redis.call('HMGET', callKey, 'state', 'callerUserId', 'callerDeviceId', 'calleeUserId')
if existing[1] then
  local sameRequest = existing[1] ~= 'ended'
    and existing[2] == callerUserId
    and existing[3] == callerDeviceId
    and existing[4] == calleeUserId
  if sameRequest then
    return { 0, redis.call('HGETALL', callKey) }
  end
  return -2
end

if redis.call('SCARD', callerCallsKey) >= maxConcurrent then
  return -3
end
local calleeOffline = redis.call('EXISTS', calleeDevicesKey) == 0
if not allowOffline and calleeOffline then
  return -4
end
if redis.call('SCARD', calleeCallsKey) >= maxConcurrent then
  return -5
end

redis.call('HSET', callKey,
  'callId', callId, 'state', 'ringing',
  'callerUserId', callerUserId, 'callerDeviceId', callerDeviceId, 'calleeUserId', calleeUserId,
  'media', media, 'offer', offer, 'createdAt', now, 'expiresAt', expiresAt)
if metadata ~= '' then
  redis.call('HSET', callKey, 'metadata', metadata)
end
local pushed = 0
if calleeOffline then
  redis.call('HSET', callKey, 'pushed', '1')
  pushed = 1
end
redis.call('ZADD', ringDeadlinesKey, expiresAt, callId)

local changed = {}
redis.call('SADD', callerCallsKey, callId)
if redis.call('SCARD', callerCallsKey) == 1 then
  table.insert(changed, callerUserId)
end
redis.call('SADD', calleeCallsKey, callId)
if redis.call('SCARD', calleeCallsKey) == 1 then
  table.insert(changed, calleeUserId)
end
return { 1, presenceOf(prefix, changed), pushed }
