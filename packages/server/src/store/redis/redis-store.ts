import { type DeviceRef, type IceCandidate, Limits, type Presence } from '@switchboard/protocol';
import type { Redis } from 'ioredis';
import { WindowBatch } from '../../window-batch.js';
import type {
  CallSummary,
  CreateCallInput,
  CreateCallResult,
  DeviceRecord,
  EndCallInput,
  EndCallResult,
  EndedCall,
  HistoryQuery,
  HistoryRecord,
  RegisterDeviceInput,
  RegisterDeviceResult,
  RemovedDevice,
  Store,
  StoredCall,
  TouchOutcome,
  TransitionResult,
  UnregisterDeviceInput,
  UnregisterDeviceResult,
} from '../store.js';
import { DEFAULT_HISTORY_MAX_PER_USER, StoreUnavailableError } from '../store.js';
import {
  decodeCall,
  decodeCandidate,
  decodeHistoryRecord,
  decodeSummary,
  encodeCandidate,
  SUMMARY_FIELDS,
} from './call-codec.js';
import { connectRedis, toStoreError } from './connection.js';
import { type EncodedDevice, type RedisKeys, redisKeys } from './keys.js';
import { codeOf, type ScriptCodeName } from './script-codes.js';
import { registerScripts, type ScriptCall } from './script-loader.js';

/** At most this many devices per refresh script, so that one burst never holds Redis for long. */
const TOUCHES_PER_SCRIPT = 200;
/** How long refreshes wait to be sent together (a heartbeat's answer waits as long, at most). */
const TOUCH_BATCH_MS = 20;

type Touch = [userId: string, deviceId: string, socketId: string, expiry: number];

export interface RedisStoreOptions {
  /** A connection made with `failFastOptions()`, or the store will hang while Redis is down. */
  redis: Redis;
  /** Namespace of every key; tests give each store its own. Default `sb`. */
  keyPrefix?: string;
  /** Whether `close()` quits the connection. Default false: whoever made it closes it. */
  ownsConnection?: boolean;
  /** History records kept per user. Default 200. */
  historyMaxPerUser?: number;
}

/**
 * The multi-node store. Use `createRedisStore({ url })`, which opens its own
 * fail-fast connection and closes it on `close()`; or pass a connection to
 * `new RedisStore({ redis })` to share one. Every change that reads before
 * it writes is one Lua script (`lua/`), so it is atomic across nodes; key
 * layout is in `keys.ts`.
 */
export class RedisStore implements Store {
  readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly scripts: Map<string, ScriptCall>;
  private readonly ownsConnection: boolean;
  private readonly historyMax: number;
  /** Liveness refreshes sent together (see {@link touchDevice}). */
  private readonly touches = new WindowBatch(
    (touches: Touch[]) => this.sendTouches(touches),
    TOUCH_BATCH_MS,
    TOUCHES_PER_SCRIPT,
  );

  constructor(options: RedisStoreOptions) {
    this.historyMax = options.historyMaxPerUser ?? DEFAULT_HISTORY_MAX_PER_USER;
    this.redis = options.redis;
    this.keys = redisKeys(options.keyPrefix);
    this.scripts = registerScripts(options.redis);
    this.ownsConnection = options.ownsConnection ?? false;
  }

  /**
   * Resolves once connected. Store methods fail at once while disconnected,
   * so a caller that wants to start only with Redis up waits here first.
   */
  async ready(timeoutMs = 5000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new StoreUnavailableError('redis did not become ready'));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  async refreshNode(nodeId: string, now: number, ttlMs: number): Promise<boolean> {
    // One ZADD is atomic already: it answers 1 when it had to add the node.
    const added = await this.guard(() => this.redis.zadd(this.keys.nodes, now + ttlMs, nodeId));
    return added === 0;
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.guard(() => this.redis.zrem(this.keys.nodes, nodeId));
  }

  async sweepDeadNodes(now: number, graceMs: number): Promise<RemovedDevice[]> {
    const { nodes, devicesExpiry, graces, prefix } = this.keys;
    const raw = await this.run('sweepDeadNodes', [nodes, devicesExpiry, graces], [prefix, now, now + graceMs]);
    return asArray(raw).map(decodeRemoved);
  }

  async registerDevice(input: RegisterDeviceInput): Promise<RegisterDeviceResult> {
    const { userId, deviceId, socketId, nodeId, now, ttlMs } = input;
    const record: EncodedDevice = { socketId, nodeId, connectedAt: now };
    const k = this.keys;
    const [cameOnline, replaced, graceEndsAt] = asArray(
      await this.run(
        'registerDevice',
        [k.userDevices(userId), k.devicesExpiry, k.graces, k.nodeDevices(nodeId)],
        [k.prefix, userId, deviceId, JSON.stringify(record), nodeId, socketId, now + ttlMs],
      ),
    );
    const result: RegisterDeviceResult = { cameOnline: cameOnline === 1 };
    if (typeof replaced === 'string' && replaced !== '') result.replaced = decodeDevice(input, replaced);
    if (typeof graceEndsAt === 'string' && graceEndsAt !== '') result.graceEndsAt = Number(graceEndsAt);
    return result;
  }

  async unregisterDevice(input: UnregisterDeviceInput): Promise<UnregisterDeviceResult> {
    const { userId, deviceId, socketId, now, graceMs } = input;
    const k = this.keys;
    const [removed, wentOffline] = asArray(
      await this.run(
        'unregisterDevice',
        [k.userDevices(userId), k.devicesExpiry, k.graces],
        [k.prefix, userId, deviceId, socketId, now, now + graceMs],
      ),
    );
    return { removed: removed === 1, wentOffline: wentOffline === 1 };
  }

  /**
   * Refreshes are sent together: those asked for within {@link TOUCH_BATCH_MS}
   * go out as one script call. Every idle device refreshes on each heartbeat
   * and pong, which was a round trip each and half of what an idle device
   * cost Redis (bench/cost.ts idle: 9.95 -> 4.81 scripts per device-minute).
   */
  touchDevice(ref: DeviceRef, socketId: string, now: number, ttlMs: number): Promise<TouchOutcome> {
    return this.touches.add([ref.userId, ref.deviceId, socketId, now + ttlMs]);
  }

  private async sendTouches(touches: Touch[]): Promise<TouchOutcome[]> {
    const raw = await this.run('touchDevices', [this.keys.devicesExpiry], [this.keys.prefix, ...touches.flat()]);
    return asArray(raw).map(decodeTouch);
  }

  async expireDevices(now: number, graceMs: number, limit: number): Promise<RemovedDevice[]> {
    const k = this.keys;
    const raw = await this.run('expireDevices', [k.devicesExpiry, k.graces], [k.prefix, now, now + graceMs, limit]);
    return asArray(raw).map(decodeRemoved);
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    const hash = await this.guard(() => this.redis.hgetall(this.keys.userDevices(userId)));
    return Object.entries(hash).map(([deviceId, encoded]) => decodeDevice({ userId, deviceId }, encoded));
  }

  async getPresence(userIds: readonly string[]): Promise<Presence[]> {
    if (userIds.length === 0) return [];
    const k = this.keys;
    // MULTI, so one answer never mixes states from before and after a change.
    const transaction = this.redis.multi();
    for (const userId of userIds) {
      transaction.exists(k.userDevices(userId)).get(k.userSeen(userId)).scard(k.userCalls(userId));
    }
    const replies = await this.guard(async () => (await transaction.exec()) ?? []);
    return userIds.map((userId, i) => {
      const [online, lastSeen, liveCalls] = replies.slice(i * 3, i * 3 + 3).map(([err, value]) => {
        if (err) throw toStoreError(err);
        return value;
      });
      return presenceFrom(userId, online, lastSeen, liveCalls);
    });
  }

  async createCall(input: CreateCallInput): Promise<CreateCallResult> {
    const { callId, caller, calleeUserId } = input;
    const k = this.keys;
    const raw = await this.run(
      'createCall',
      [
        k.call(callId),
        k.userCalls(caller.userId),
        k.userCalls(calleeUserId),
        k.userDevices(calleeUserId),
        k.ringDeadlines,
      ],
      [
        callId,
        caller.userId,
        caller.deviceId,
        calleeUserId,
        input.media,
        input.offer,
        input.metadata ? JSON.stringify(input.metadata) : '',
        input.now,
        input.expiresAt,
        input.maxConcurrent,
        input.allowOffline ? '1' : '0',
        k.prefix,
      ],
    );
    if (!Array.isArray(raw)) {
      return { ok: false, code: expectCode(raw, ['INVALID_STATE', 'TOO_MANY_CALLS', 'USER_OFFLINE', 'BUSY']) };
    }
    const [status, payload, pushed] = raw;
    if (status === 0) return { ok: true, created: false, call: decodeCall(payload) };
    const call: StoredCall = {
      callId,
      state: 'ringing',
      caller: { userId: caller.userId, deviceId: caller.deviceId },
      callee: { userId: calleeUserId },
      media: input.media,
      offer: input.offer,
      createdAt: input.now,
      expiresAt: input.expiresAt,
      ...(input.metadata && { metadata: input.metadata }),
      ...(pushed === 1 && { pushed: true }),
    };
    return { ok: true, created: true, call, inCallChanged: decodePresenceList(payload) };
  }

  async getCall(callId: string): Promise<StoredCall | null> {
    const flat = await this.guard(() => this.redis.call('HGETALL', this.keys.call(callId)));
    return Array.isArray(flat) && flat.length > 0 ? decodeCall(flat) : null;
  }

  async getCallSummary(callId: string): Promise<CallSummary | null> {
    const values = await this.guard(() => this.redis.hmget(this.keys.call(callId), ...SUMMARY_FIELDS));
    return decodeSummary(values);
  }

  async getCallSummaries(callIds: readonly string[]): Promise<(CallSummary | null)[]> {
    if (callIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const callId of callIds) pipeline.hmget(this.keys.call(callId), ...SUMMARY_FIELDS);
    const replies = await this.guard(() => pipeline.exec());
    return (replies ?? []).map(([err, values]) => {
      if (err) throw toStoreError(err);
      return decodeSummary(values as (string | null)[]);
    });
  }

  async getCandidates(callId: string): Promise<IceCandidate[]> {
    const list = await this.guard(() =>
      this.redis.lrange(this.keys.candidates(callId), 0, Limits.storedCandidates - 1),
    );
    return list.map(decodeCandidate);
  }

  async addCandidate(callId: string, candidate: IceCandidate, max: number): Promise<void> {
    const k = this.keys;
    await this.run('addCandidate', [k.call(callId), k.candidates(callId)], [encodeCandidate(candidate), max]);
  }

  async markRinging(callId: string, by: DeviceRef): Promise<TransitionResult & { first?: boolean }> {
    const raw = await this.run('markRinging', [this.keys.call(callId)], [by.userId, by.deviceId]);
    const [status, flat] = asArray(raw);
    if (status === 1 || status === 0) return { ok: true, call: decodeCall(flat), first: status === 1 };
    return transitionFailure(status, flat);
  }

  async acceptCall(callId: string, by: DeviceRef, answer: string | undefined, now: number): Promise<TransitionResult> {
    const k = this.keys;
    const raw = await this.run(
      'acceptCall',
      [k.call(callId), k.ringDeadlines],
      [callId, by.deviceId, answer ?? '', now],
    );
    const [status, flat] = asArray(raw);
    return status === 1 ? { ok: true, call: decodeCall(flat) } : transitionFailure(status, flat);
  }

  async endCall(input: EndCallInput): Promise<EndCallResult> {
    const k = this.keys;
    const raw = await this.run(
      'endCall',
      [k.call(input.callId), k.ringDeadlines],
      [
        k.prefix,
        input.callId,
        input.from.join(' '),
        input.reason,
        input.by?.userId ?? '',
        input.by?.deviceId ?? '',
        input.now,
        input.retainMs,
        this.historyMax,
      ],
    );
    const [status, flat, changed] = asArray(raw);
    if (status === 1) return { ok: true, call: decodeCall(flat), inCallChanged: decodePresenceList(changed) };
    return transitionFailure(status, flat);
  }

  async claimRingTimeouts(now: number, limit: number, retainMs: number): Promise<EndedCall[]> {
    const k = this.keys;
    const raw = await this.run(
      'claimRingTimeouts',
      [k.ringDeadlines],
      [k.prefix, now, limit, retainMs, this.historyMax],
    );
    return asArray(raw).map(decodeEnded);
  }

  async claimDisconnectGraces(now: number, limit: number, retainMs: number): Promise<EndedCall[]> {
    const k = this.keys;
    const raw = await this.run(
      'claimDisconnectGraces',
      [k.graces, k.ringDeadlines],
      [k.prefix, now, limit, retainMs, this.historyMax],
    );
    return asArray(raw).map(decodeEnded);
  }

  async listUserCalls(userId: string): Promise<StoredCall[]> {
    const raw = await this.run('listUserCalls', [this.keys.userCalls(userId)], [this.keys.prefix]);
    return asArray(raw).map(decodeCall);
  }

  async getHistory(userId: string, query: HistoryQuery): Promise<HistoryRecord[]> {
    // One ZREVRANGEBYSCORE: atomic by itself. `(` makes `before` exclusive.
    const max = query.before === undefined ? '+inf' : `(${query.before}`;
    const members = await this.guard(() =>
      this.redis.zrevrangebyscore(this.keys.history(userId), max, '-inf', 'LIMIT', 0, query.limit),
    );
    return members.map(decodeHistoryRecord);
  }

  async close(): Promise<void> {
    if (!this.ownsConnection) return;
    try {
      await this.redis.quit();
    } catch {
      // Already down: nothing left to release but the socket.
      this.redis.disconnect();
    }
  }

  private run(name: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const script = this.scripts.get(name);
    if (!script) throw new Error(`no Lua script for ${name}`);
    return this.guard(() => script(keys, args));
  }

  private async guard<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw toStoreError(err);
    }
  }
}

/** A store on its own fail-fast connection to `url`, which `close()` ends. */
export function createRedisStore(options: {
  url: string;
  keyPrefix?: string;
  commandTimeoutMs?: number;
  historyMaxPerUser?: number;
}): RedisStore {
  return new RedisStore({
    redis: connectRedis(options.url, options.commandTimeoutMs),
    ...(options.keyPrefix !== undefined && { keyPrefix: options.keyPrefix }),
    ...(options.historyMaxPerUser !== undefined && { historyMaxPerUser: options.historyMaxPerUser }),
    ownsConnection: true,
  });
}

function asArray(raw: unknown): unknown[] {
  if (!Array.isArray(raw)) throw new Error(`expected an array from a Lua script, got ${String(raw)}`);
  return raw;
}

function expectCode<C extends ScriptCodeName>(raw: unknown, allowed: readonly C[]): C {
  const code = codeOf(raw);
  if (!(allowed as readonly ScriptCodeName[]).includes(code)) throw new Error(`unexpected script code ${code}`);
  return code as C;
}

function transitionFailure(status: unknown, flat: unknown): TransitionResult & { ok: false } {
  const code = expectCode(status, ['CALL_NOT_FOUND', 'INVALID_STATE']);
  return code === 'CALL_NOT_FOUND' ? { ok: false, code } : { ok: false, code, call: decodeCall(flat) };
}

function decodeDevice(ref: DeviceRef, encoded: string): DeviceRecord {
  const { socketId, nodeId, connectedAt } = JSON.parse(encoded) as EncodedDevice;
  return { userId: ref.userId, deviceId: ref.deviceId, socketId, nodeId, connectedAt };
}

/** touch-devices-1.lua's answer for one device. */
const TOUCH_OUTCOMES: Readonly<Record<number, TouchOutcome>> = { 0: 'absent', 1: 'extended', 2: 'replaced' };

function decodeTouch(raw: unknown): TouchOutcome {
  const outcome = typeof raw === 'number' ? TOUCH_OUTCOMES[raw] : undefined;
  if (!outcome) throw new Error(`unexpected touch result ${String(raw)}`);
  return outcome;
}

function decodeRemoved(raw: unknown): RemovedDevice {
  const [userId, deviceId, nodeId, socketId, wentOffline] = asArray(raw);
  return {
    userId: String(userId),
    deviceId: String(deviceId),
    nodeId: String(nodeId),
    socketId: String(socketId),
    wentOffline: wentOffline === 1,
  };
}

function decodeEnded(raw: unknown): EndedCall {
  const [flat, changed] = asArray(raw);
  return { call: decodeCall(flat), inCallChanged: decodePresenceList(changed) };
}

/** A user's presence from its three parts, as read by `getPresence` or by `lua/includes/presence.lua`. */
function presenceFrom(userId: string, online: unknown, lastSeen: unknown, liveCalls: unknown): Presence {
  const presence: Presence = { userId, status: online === 1 ? 'online' : 'offline', inCall: Number(liveCalls) > 0 };
  if (online !== 1 && typeof lastSeen === 'string' && lastSeen !== '') presence.lastSeen = Number(lastSeen);
  return presence;
}

/** The presence a script handed back (`lua/includes/presence.lua`), one `{ userId, online, lastSeen, liveCalls }` each. */
function decodePresenceList(raw: unknown): Presence[] {
  return asArray(raw).map((entry) => {
    const [userId, online, lastSeen, liveCalls] = asArray(entry);
    return presenceFrom(String(userId), online, lastSeen, liveCalls);
  });
}
