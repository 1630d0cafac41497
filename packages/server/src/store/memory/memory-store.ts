import type { CallState, DeviceRef, IceCandidate, Presence } from '@switchboard/protocol';
import {
  type CallSummary,
  type CreateCallInput,
  type CreateCallResult,
  DEFAULT_HISTORY_MAX_PER_USER,
  type DeviceRecord,
  type EndCallInput,
  type EndCallResult,
  type EndedCall,
  type HistoryQuery,
  type HistoryRecord,
  isAcceptedDevice,
  isCallerDevice,
  type RegisterDeviceInput,
  type RegisterDeviceResult,
  type RemovedDevice,
  type Store,
  type StoredCall,
  type StoreOptions,
  type TouchOutcome,
  type TransitionResult,
  type UnregisterDeviceInput,
  type UnregisterDeviceResult,
} from '../store.js';

interface LiveDevice extends DeviceRecord {
  expiresAt: number;
}

const deviceKey = (ref: DeviceRef) => `${ref.userId}\n${ref.deviceId}`;

function copyCall(call: StoredCall): StoredCall {
  return {
    ...call,
    caller: { ...call.caller },
    callee: { ...call.callee },
    ...(call.ringingBy && { ringingBy: { ...call.ringingBy } }),
    ...(call.endedBy && { endedBy: { ...call.endedBy } }),
  };
}

function copyRecord(record: HistoryRecord): HistoryRecord {
  return { ...record, peer: { ...record.peer }, ...(record.endedBy && { endedBy: { ...record.endedBy } }) };
}

/** Newest `endedAt` first; equal ones by callId, greater first (as Redis orders equal scores). */
function newestFirst(a: HistoryRecord, b: HistoryRecord): number {
  if (a.endedAt !== b.endedAt) return b.endedAt - a.endedAt;
  return a.callId < b.callId ? 1 : a.callId > b.callId ? -1 : 0;
}

/** The two history records of an ended call: the caller's, then the callee's. */
function historyRecordsOf(call: StoredCall): [string, HistoryRecord][] {
  const endedAt = call.endedAt ?? 0;
  const common = {
    callId: call.callId,
    media: call.media,
    createdAt: call.createdAt,
    ...(call.answeredAt !== undefined && { answeredAt: call.answeredAt }),
    endedAt,
    durationMs: call.answeredAt !== undefined ? Math.max(0, endedAt - call.answeredAt) : 0,
    reason: call.endReason ?? 'disconnected',
    ...(call.endedBy && { endedBy: { ...call.endedBy } }),
  };
  return [
    [
      call.caller.userId,
      { ...common, direction: 'outgoing', peer: { userId: call.callee.userId }, deviceId: call.caller.deviceId },
    ],
    [
      call.callee.userId,
      {
        ...common,
        direction: 'incoming',
        peer: { userId: call.caller.userId },
        ...(call.callee.deviceId !== undefined && { deviceId: call.callee.deviceId }),
      },
    ],
  ];
}

/**
 * The single-node store. Every method runs to completion without awaiting,
 * which is what makes each one atomic on Node's one thread. Calls are copied
 * in and out so no caller can change stored state behind the store's back.
 */
export class MemoryStore implements Store {
  private readonly nodes = new Map<string, number>();
  private readonly devices = new Map<string, Map<string, LiveDevice>>();
  private readonly lastSeen = new Map<string, number>();
  private readonly calls = new Map<string, StoredCall>();
  private readonly candidates = new Map<string, IceCandidate[]>();
  private readonly userCalls = new Map<string, Set<string>>();
  private readonly ringDeadlines = new Map<string, number>();
  private readonly graces = new Map<string, { ref: DeviceRef; at: number }>();
  /** Ended calls in end order, dropped once their retention passes. */
  private readonly tombstones: { callId: string; purgeAt: number }[] = [];
  /** Per user, newest first, at most `historyMax`. */
  private readonly history = new Map<string, HistoryRecord[]>();
  private readonly historyMax: number;

  constructor(options: StoreOptions = {}) {
    this.historyMax = options.historyMaxPerUser ?? DEFAULT_HISTORY_MAX_PER_USER;
  }

  async refreshNode(nodeId: string, now: number, ttlMs: number): Promise<boolean> {
    const known = this.nodes.has(nodeId);
    this.nodes.set(nodeId, now + ttlMs);
    return known;
  }

  async removeNode(nodeId: string): Promise<void> {
    this.nodes.delete(nodeId);
  }

  async sweepDeadNodes(now: number, graceMs: number): Promise<RemovedDevice[]> {
    const removed: RemovedDevice[] = [];
    for (const [nodeId, expiry] of this.nodes) {
      if (expiry > now) continue;
      this.nodes.delete(nodeId);
      for (const userDevices of this.devices.values()) {
        for (const device of userDevices.values()) {
          if (device.nodeId === nodeId) removed.push(this.removeDevice(device, now, graceMs));
        }
      }
    }
    return removed;
  }

  async registerDevice(input: RegisterDeviceInput): Promise<RegisterDeviceResult> {
    const { userId, deviceId, socketId, nodeId, now, ttlMs } = input;
    let userDevices = this.devices.get(userId);
    const cameOnline = !userDevices || userDevices.size === 0;
    if (!userDevices) {
      userDevices = new Map();
      this.devices.set(userId, userDevices);
    }
    const previous = userDevices.get(deviceId);
    userDevices.set(deviceId, { userId, deviceId, socketId, nodeId, connectedAt: now, expiresAt: now + ttlMs });
    const grace = this.graces.get(deviceKey(input));
    this.graces.delete(deviceKey(input));
    const result: RegisterDeviceResult = { cameOnline };
    if (grace) result.graceEndsAt = grace.at;
    if (previous && previous.socketId !== socketId) {
      const { expiresAt: _, ...record } = previous;
      result.replaced = record;
    }
    return result;
  }

  async unregisterDevice(input: UnregisterDeviceInput): Promise<UnregisterDeviceResult> {
    const device = this.devices.get(input.userId)?.get(input.deviceId);
    if (!device || device.socketId !== input.socketId) return { removed: false, wentOffline: false };
    const { wentOffline } = this.removeDevice(device, input.now, input.graceMs);
    return { removed: true, wentOffline };
  }

  async touchDevice(ref: DeviceRef, socketId: string, now: number, ttlMs: number): Promise<TouchOutcome> {
    const device = this.devices.get(ref.userId)?.get(ref.deviceId);
    if (!device) return 'absent';
    if (device.socketId !== socketId) return 'replaced';
    device.expiresAt = now + ttlMs;
    return 'extended';
  }

  async expireDevices(now: number, graceMs: number, limit: number): Promise<RemovedDevice[]> {
    const removed: RemovedDevice[] = [];
    // Straight over the maps, which removal may shrink (a Map iterator
    // skips deleted entries): the sweep runs every tick over every device,
    // and copying them first made garbage in proportion to all devices.
    for (const userDevices of this.devices.values()) {
      for (const device of userDevices.values()) {
        if (removed.length >= limit) return removed;
        if (device.expiresAt <= now) removed.push(this.removeDevice(device, now, graceMs));
      }
    }
    return removed;
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    return [...(this.devices.get(userId)?.values() ?? [])].map(({ expiresAt: _, ...record }) => record);
  }

  async getPresence(userIds: readonly string[]): Promise<Presence[]> {
    return userIds.map((userId) => this.presenceOf(userId));
  }

  async createCall(input: CreateCallInput): Promise<CreateCallResult> {
    this.purgeTombstones();
    const existing = this.calls.get(input.callId);
    if (existing) {
      const sameRequest =
        existing.state !== 'ended' &&
        isCallerDevice(existing, input.caller) &&
        existing.callee.userId === input.calleeUserId;
      return sameRequest
        ? { ok: true, created: false, call: copyCall(existing) }
        : { ok: false, code: 'INVALID_STATE' };
    }
    if (this.liveCount(input.caller.userId) >= input.maxConcurrent) return { ok: false, code: 'TOO_MANY_CALLS' };
    const calleeOffline = !this.devices.get(input.calleeUserId)?.size;
    if (!input.allowOffline && calleeOffline) return { ok: false, code: 'USER_OFFLINE' };
    if (this.liveCount(input.calleeUserId) >= input.maxConcurrent) return { ok: false, code: 'BUSY' };

    const call: StoredCall = {
      callId: input.callId,
      state: 'ringing',
      caller: { userId: input.caller.userId, deviceId: input.caller.deviceId },
      callee: { userId: input.calleeUserId },
      media: input.media,
      offer: input.offer,
      createdAt: input.now,
      expiresAt: input.expiresAt,
      ...(input.metadata && { metadata: input.metadata }),
      ...(calleeOffline && { pushed: true }),
    };
    this.calls.set(call.callId, call);
    this.candidates.set(call.callId, []);
    this.ringDeadlines.set(call.callId, call.expiresAt);
    const inCallChanged = this.presenceOfUsers(call, (userId) => this.addLive(userId, call.callId));
    return { ok: true, created: true, call: copyCall(call), inCallChanged };
  }

  async getCall(callId: string): Promise<StoredCall | null> {
    this.purgeTombstones();
    const call = this.calls.get(callId);
    return call ? copyCall(call) : null;
  }

  async getCallSummary(callId: string): Promise<CallSummary | null> {
    const call = await this.getCall(callId);
    if (!call) return null;
    const { offer: _o, answer: _a, metadata: _m, ...summary } = call;
    return summary;
  }

  async getCallSummaries(callIds: readonly string[]): Promise<(CallSummary | null)[]> {
    return Promise.all(callIds.map((callId) => this.getCallSummary(callId)));
  }

  async getCandidates(callId: string): Promise<IceCandidate[]> {
    return [...(this.candidates.get(callId) ?? [])];
  }

  async addCandidate(callId: string, candidate: IceCandidate, max: number): Promise<void> {
    const list = this.candidates.get(callId);
    if (this.calls.get(callId)?.state === 'ringing' && list && list.length < max) list.push({ ...candidate });
  }

  async markRinging(callId: string, by: DeviceRef): Promise<TransitionResult & { first?: boolean }> {
    const found = this.expect(callId, ['ringing']);
    if (!found.ok) return found;
    const call = found.call;
    if (call.ringingBy) return { ok: true, call: copyCall(call), first: false };
    call.ringingBy = { userId: by.userId, deviceId: by.deviceId };
    return { ok: true, call: copyCall(call), first: true };
  }

  async acceptCall(callId: string, by: DeviceRef, answer: string | undefined, now: number): Promise<TransitionResult> {
    const found = this.expect(callId, ['ringing']);
    if (!found.ok) return found;
    const call = found.call;
    call.state = 'active';
    call.callee = { userId: call.callee.userId, deviceId: by.deviceId };
    call.answeredAt = now;
    if (answer !== undefined) call.answer = answer;
    this.ringDeadlines.delete(callId);
    return { ok: true, call: copyCall(call) };
  }

  async endCall(input: EndCallInput): Promise<EndCallResult> {
    const found = this.expect(input.callId, input.from);
    if (!found.ok) return found;
    return { ok: true, ...this.finish(found.call, input) };
  }

  async claimRingTimeouts(now: number, limit: number, retainMs: number): Promise<EndedCall[]> {
    const ended: EndedCall[] = [];
    for (const [callId, deadline] of this.ringDeadlines) {
      if (ended.length >= limit) break;
      const call = this.calls.get(callId);
      if (deadline > now || call?.state !== 'ringing') continue;
      ended.push(this.finish(call, { reason: 'timeout', now, retainMs }));
    }
    return ended;
  }

  async claimDisconnectGraces(now: number, limit: number, retainMs: number): Promise<EndedCall[]> {
    const ended: EndedCall[] = [];
    for (const [key, grace] of this.graces) {
      if (ended.length >= limit) break;
      if (grace.at > now) continue;
      this.graces.delete(key);
      if (this.devices.get(grace.ref.userId)?.has(grace.ref.deviceId)) continue;
      for (const callId of [...(this.userCalls.get(grace.ref.userId) ?? [])]) {
        const call = this.calls.get(callId);
        if (!call || call.state === 'ended') continue;
        if (isCallerDevice(call, grace.ref) || isAcceptedDevice(call, grace.ref)) {
          ended.push(this.finish(call, { reason: 'disconnected', now, retainMs }));
        }
      }
    }
    return ended;
  }

  async listUserCalls(userId: string): Promise<StoredCall[]> {
    return [...(this.userCalls.get(userId) ?? [])].flatMap((callId) => {
      const call = this.calls.get(callId);
      return call ? [copyCall(call)] : [];
    });
  }

  async getHistory(userId: string, query: HistoryQuery): Promise<HistoryRecord[]> {
    const { limit, before } = query;
    const records = this.history.get(userId) ?? [];
    return records
      .filter((r) => before === undefined || r.endedAt < before)
      .slice(0, limit)
      .map(copyRecord);
  }

  async close(): Promise<void> {}

  /** Applies `change` to both users of the call; the presence, after, of those it says it flipped. */
  private presenceOfUsers(call: StoredCall, change: (userId: string) => boolean): Presence[] {
    const flipped = [call.caller.userId, call.callee.userId].filter(change);
    return flipped.map((userId) => this.presenceOf(userId));
  }

  private presenceOf(userId: string): Presence {
    const online = (this.devices.get(userId)?.size ?? 0) > 0;
    const lastSeen = this.lastSeen.get(userId);
    return {
      userId,
      status: online ? 'online' : 'offline',
      ...(!online && lastSeen !== undefined && { lastSeen }),
      inCall: this.liveCount(userId) > 0,
    };
  }

  private removeDevice(device: LiveDevice, now: number, graceMs: number): RemovedDevice {
    const userDevices = this.devices.get(device.userId);
    userDevices?.delete(device.deviceId);
    const wentOffline = !userDevices?.size;
    if (wentOffline) {
      this.devices.delete(device.userId);
      this.lastSeen.set(device.userId, now);
    }
    this.graces.set(deviceKey(device), {
      ref: { userId: device.userId, deviceId: device.deviceId },
      at: now + graceMs,
    });
    const { userId, deviceId, nodeId, socketId } = device;
    return { userId, deviceId, nodeId, socketId, wentOffline };
  }

  private expect(
    callId: string,
    from: readonly CallState[],
  ): { ok: true; call: StoredCall } | (TransitionResult & { ok: false }) {
    this.purgeTombstones();
    const call = this.calls.get(callId);
    if (!call) return { ok: false, code: 'CALL_NOT_FOUND' };
    if (!from.includes(call.state)) return { ok: false, code: 'INVALID_STATE', call: copyCall(call) };
    return { ok: true, call };
  }

  private finish(call: StoredCall, end: Pick<EndCallInput, 'reason' | 'by' | 'now' | 'retainMs'>): EndedCall {
    call.state = 'ended';
    call.endReason = end.reason;
    call.endedAt = end.now;
    if (end.by) call.endedBy = { userId: end.by.userId, deviceId: end.by.deviceId };
    this.ringDeadlines.delete(call.callId);
    this.tombstones.push({ callId: call.callId, purgeAt: Date.now() + end.retainMs });
    for (const [userId, record] of historyRecordsOf(call)) this.record(userId, record);
    const inCallChanged = this.presenceOfUsers(call, (userId) => this.removeLive(userId, call.callId));
    return { call: copyCall(call), inCallChanged };
  }

  private record(userId: string, record: HistoryRecord): void {
    let records = this.history.get(userId);
    if (!records) {
      records = [];
      this.history.set(userId, records);
    }
    records.push(record);
    records.sort(newestFirst);
    if (records.length > this.historyMax) records.length = this.historyMax;
  }

  private liveCount(userId: string): number {
    return this.userCalls.get(userId)?.size ?? 0;
  }

  /** True when this was the user's first live call. */
  private addLive(userId: string, callId: string): boolean {
    let set = this.userCalls.get(userId);
    if (!set) {
      set = new Set();
      this.userCalls.set(userId, set);
    }
    set.add(callId);
    return set.size === 1;
  }

  /** True when this was the user's last live call. */
  private removeLive(userId: string, callId: string): boolean {
    const set = this.userCalls.get(userId);
    if (!set?.delete(callId)) return false;
    if (set.size > 0) return false;
    this.userCalls.delete(userId);
    return true;
  }

  /** Retention is wall-clock, as Redis key expiry is, so both stores forget at the same moment. */
  private purgeTombstones(): void {
    const wallNow = Date.now();
    while (this.tombstones.length > 0 && (this.tombstones[0]?.purgeAt ?? 0) <= wallNow) {
      const { callId } = this.tombstones.shift()!;
      if (this.calls.get(callId)?.state === 'ended') {
        this.calls.delete(callId);
        this.candidates.delete(callId);
      }
    }
  }
}
