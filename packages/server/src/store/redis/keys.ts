/**
 * Every Redis key of the store, built in one place. `P` below is
 * `<keyPrefix>:{s}:` (keyPrefix defaults to `sb`).
 *
 * One hash tag for all of them: a call touches the caller's and the callee's
 * keys, a node sweep touches any user's devices, and every such change is one
 * Lua script. Redis Cluster runs a script only when all its keys sit in one
 * slot, so `{s}` puts the whole signaling state in one slot (one shard). The
 * state is small and short-lived, so that costs less than splitting scripts.
 * Scripts also build some keys themselves (a call's users are only known
 * after reading the call); `lua/includes/keys.lua` mirrors the builders here.
 *
 * The kind of a key comes before the id (`call:<id>`, not `<id>:call`), so
 * ids that contain `:` can never make two kinds of key collide.
 */
export interface RedisKeys {
  /** `P`: passed to scripts that build keys themselves. */
  readonly prefix: string;
  /** `P nodes`: zset, member nodeId, score = liveness expiry (epoch ms). */
  readonly nodes: string;
  /** `P devices-expiry`: zset, member `userId\ndeviceId` (`deviceMember` in `lua/includes/keys.lua`), score = device liveness expiry (epoch ms). */
  readonly devicesExpiry: string;
  /** `P graces`: zset, member `userId\ndeviceId` (`deviceMember` in `lua/includes/keys.lua`), score = when its disconnect grace ends (epoch ms). */
  readonly graces: string;
  /** `P ring-deadlines`: zset, member callId, score = the ringing call's `expiresAt`. */
  readonly ringDeadlines: string;
  /** `P node-devices:<nodeId>`: set of device members (`userId\ndeviceId`) registered through that node. */
  nodeDevices(nodeId: string): string;
  /** `P user-devices:<userId>`: hash, deviceId -> JSON {@link EncodedDevice}. Absent = offline. */
  userDevices(userId: string): string;
  /** `P user-seen:<userId>`: string, epoch ms the user last went offline. */
  userSeen(userId: string): string;
  /** `P user-calls:<userId>`: set of the user's live (ringing or active) callIds. */
  userCalls(userId: string): string;
  /** `P call:<callId>`: hash of the call (see `call-codec.ts`); PEXPIRE retainMs once ended. */
  call(callId: string): string;
  /** `P call-cand:<callId>`: list of the caller's candidates as JSON, capped; PEXPIRE with the call. */
  candidates(callId: string): string;
  /**
   * `P history:<userId>`: zset of the user's ended calls, score = `endedAt`,
   * member = `<callId>\n<record JSON>` (see `includes/end-call.lua`; the
   * callId first orders records with equal `endedAt`). Written by the script
   * that ends the call, trimmed there to the newest `historyMaxPerUser`.
   */
  history(userId: string): string;
}

/** The device record stored in `user-devices`; scripts read `socketId` and `nodeId` from it. */
export interface EncodedDevice {
  socketId: string;
  nodeId: string;
  connectedAt: number;
}

export function redisKeys(keyPrefix = 'sb'): RedisKeys {
  const p = `${keyPrefix}:{s}:`;
  return {
    prefix: p,
    nodes: `${p}nodes`,
    devicesExpiry: `${p}devices-expiry`,
    graces: `${p}graces`,
    ringDeadlines: `${p}ring-deadlines`,
    nodeDevices: (nodeId) => `${p}node-devices:${nodeId}`,
    userDevices: (userId) => `${p}user-devices:${userId}`,
    userSeen: (userId) => `${p}user-seen:${userId}`,
    userCalls: (userId) => `${p}user-calls:${userId}`,
    call: (callId) => `${p}call:${callId}`,
    candidates: (callId) => `${p}call-cand:${callId}`,
    history: (userId) => `${p}history:${userId}`,
  };
}
