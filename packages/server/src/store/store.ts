import type {
  CallHistoryEntry,
  CallState,
  DeviceRef,
  EndReason,
  IceCandidate,
  Media,
  Presence,
} from '@switchboard/protocol';

/**
 * The state Switchboard keeps: devices, presence, calls, per-user live-call
 * sets and the deadlines that workers act on. Two implementations stand
 * behind this interface: `memory/` (one node) and `redis/` (a cluster, each
 * multi-key change one Lua script). Both run the same contract suite
 * (`test/store/store-contract.ts`).
 *
 * Every method is atomic: a concurrent caller sees the state before or after
 * it, never between. "now" is always passed in, never read inside, so tests
 * control time. Methods reject with `StoreUnavailableError` when the backend
 * cannot be reached; nothing is half-written then.
 */
export interface Store {
  // ---- nodes -------------------------------------------------------------

  /**
   * Marks the node alive until `now + ttlMs`. Returns false when the node was
   * unknown (first start, or swept as dead meanwhile): the caller must then
   * re-register every device it still holds.
   */
  refreshNode(nodeId: string, now: number, ttlMs: number): Promise<boolean>;

  /** Removes the node's liveness entry (clean shutdown) without touching its devices. */
  removeNode(nodeId: string): Promise<void>;

  /**
   * For every node whose liveness passed `now`: removes the node and every
   * device still registered to it (as `expireDevices` does, scheduling each
   * one's disconnect grace at `now + graceMs`). Each dead node is swept by
   * exactly one caller.
   */
  sweepDeadNodes(now: number, graceMs: number): Promise<RemovedDevice[]>;

  // ---- devices and presence ------------------------------------------------

  /**
   * Registers (or replaces) a device, live until `now + ttlMs`. Clears any
   * pending disconnect grace of that device (it is back) and reports when
   * that grace would have ended (`graceEndsAt`), which tells when the device
   * left. `replaced` is the previous registration of the same device when
   * its socket differs. `cameOnline` is true when the user had no device
   * before.
   */
  registerDevice(input: RegisterDeviceInput): Promise<RegisterDeviceResult>;

  /**
   * Removes the device if it is still registered with `socketId` (a replaced
   * socket's late disconnect removes nothing). Schedules its disconnect grace
   * at `now + graceMs`. When it was the user's last device, the user goes
   * offline with `lastSeen = now`.
   */
  unregisterDevice(input: UnregisterDeviceInput): Promise<UnregisterDeviceResult>;

  /**
   * Extends the device's liveness to `now + ttlMs` if it is still registered
   * with `socketId`. Otherwise says why: `absent` when no socket holds the
   * device (swept meanwhile: re-register it), `replaced` when another socket
   * does (this socket is stale: close it, and do not register it again).
   */
  touchDevice(ref: DeviceRef, socketId: string, now: number, ttlMs: number): Promise<TouchOutcome>;

  /** Devices whose liveness passed `now` are removed, with grace scheduled at `now + graceMs`. */
  expireDevices(now: number, graceMs: number, limit: number): Promise<RemovedDevice[]>;

  /** The devices of a user that are registered now. */
  listDevices(userId: string): Promise<DeviceRecord[]>;

  /** Presence of each user, in the order asked. */
  getPresence(userIds: readonly string[]): Promise<Presence[]>;

  // ---- calls -----------------------------------------------------------------

  /**
   * Creates a ringing call, or answers an idempotent repeat. In this order:
   * - `callId` exists: the same caller device to the same callee while the
   *   call is live answers `{ ok: true, created: false, call }`; anything
   *   else is `INVALID_STATE`;
   * - the caller's live calls >= `maxConcurrent`: `TOO_MANY_CALLS`;
   * - the callee has no device and `allowOffline` is false: `USER_OFFLINE`;
   * - the callee's live calls >= `maxConcurrent`: `BUSY`;
   * - else the call is stored ringing, added to both users' live sets and to
   *   the ring deadlines at `expiresAt`; `pushed` is set on it when the
   *   callee had no device (it rings through the push webhook), so whichever
   *   node ends it knows to send the push `call_ended` notice.
   */
  createCall(input: CreateCallInput): Promise<CreateCallResult>;

  /** A call, live or ended (ended ones are kept `retainMs` after their end), or null. */
  getCall(callId: string): Promise<StoredCall | null>;

  /**
   * The same call without its SDPs and metadata: what checking a request
   * needs. Every relayed ICE candidate reads one, so it must stay small.
   */
  getCallSummary(callId: string): Promise<CallSummary | null>;

  /** {@link getCallSummary} for several calls in one round trip, in the order asked. */
  getCallSummaries(callIds: readonly string[]): Promise<(CallSummary | null)[]>;

  /** The caller's first candidates (at most `Limits.storedCandidates`), in order. */
  getCandidates(callId: string): Promise<IceCandidate[]>;

  /** Appends a caller candidate while the call rings and fewer than `max` are kept. */
  addCandidate(callId: string, candidate: IceCandidate, max: number): Promise<void>;

  /**
   * Records the first callee device that reported ringing. `first` is true
   * only for that one call; the call must be ringing (`INVALID_STATE` otherwise).
   */
  markRinging(callId: string, by: DeviceRef): Promise<TransitionResult & { first?: boolean }>;

  /** ringing -> active, answered by `by`; removes the ring deadline. */
  acceptCall(callId: string, by: DeviceRef, answer: string | undefined, now: number): Promise<TransitionResult>;

  /**
   * Ends a call whose state is one of `from`: records reason, `by` and
   * `endedAt`, removes it from both users' live sets and the deadlines, keeps
   * the record `retainMs`. `inCallChanged` is the presence, right after, of
   * the users whose last live call this was (as {@link getPresence} would
   * read it). In the same atomic step, one {@link HistoryRecord} is
   * added to each of the two users' histories (as the worker claims below
   * also do), each history trimmed to the store's `historyMaxPerUser`
   * newest records.
   */
  endCall(input: EndCallInput): Promise<EndCallResult>;

  /** Ends (reason `timeout`) up to `limit` ringing calls whose deadline passed; each by exactly one caller. */
  claimRingTimeouts(now: number, limit: number, retainMs: number): Promise<EndedCall[]>;

  /**
   * For each device whose disconnect grace passed and that has not come
   * back: ends every live call in which it is a participant device (the
   * caller device, or the callee device that accepted) with `disconnected`.
   */
  claimDisconnectGraces(now: number, limit: number, retainMs: number): Promise<EndedCall[]>;

  /** The user's live (ringing or active) calls. */
  listUserCalls(userId: string): Promise<StoredCall[]>;

  /**
   * The user's own ended calls, newest `endedAt` first (records with the
   * same `endedAt`: greater callId first), at most `limit`, only those with
   * `endedAt < before` when `before` is given. At most `historyMaxPerUser`
   * records are kept per user; older ones are dropped as new ones come.
   */
  getHistory(userId: string, query: HistoryQuery): Promise<HistoryRecord[]>;

  /** Releases connections and timers. */
  close(): Promise<void>;
}

export interface DeviceRecord extends DeviceRef {
  socketId: string;
  nodeId: string;
  connectedAt: number;
}

export interface RegisterDeviceInput extends DeviceRef {
  socketId: string;
  nodeId: string;
  now: number;
  ttlMs: number;
}
export interface RegisterDeviceResult {
  replaced?: DeviceRecord;
  cameOnline: boolean;
  /** The end of the disconnect grace this registration cancelled (the device was away); absent when none was pending. */
  graceEndsAt?: number;
}

export interface UnregisterDeviceInput extends DeviceRef {
  socketId: string;
  now: number;
  graceMs: number;
}
export interface UnregisterDeviceResult {
  removed: boolean;
  wentOffline: boolean;
}

/** What a liveness refresh found (see {@link Store.touchDevice}). */
export type TouchOutcome = 'extended' | 'absent' | 'replaced';

export interface RemovedDevice extends DeviceRef {
  nodeId: string;
  socketId: string;
  wentOffline: boolean;
}

/** A call without its SDPs and metadata. */
export type CallSummary = Omit<StoredCall, 'offer' | 'answer' | 'metadata'>;

export interface StoredCall {
  callId: string;
  state: CallState;
  caller: DeviceRef;
  /** `deviceId` is set once a callee device accepted. */
  callee: { userId: string; deviceId?: string };
  media: Media;
  offer: string;
  answer?: string;
  metadata?: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
  ringingBy?: DeviceRef;
  answeredAt?: number;
  endedAt?: number;
  endReason?: EndReason;
  endedBy?: DeviceRef;
  /** Created while the callee had no device: it rings through the push webhook. */
  pushed?: boolean;
}

export interface CreateCallInput {
  callId: string;
  caller: DeviceRef;
  calleeUserId: string;
  media: Media;
  offer: string;
  metadata?: Record<string, unknown>;
  now: number;
  expiresAt: number;
  maxConcurrent: number;
  allowOffline: boolean;
}
export type CreateCallResult =
  | {
      ok: true;
      created: true;
      call: StoredCall;
      /**
       * The users whose first live call this is, with their presence right
       * after, read in the same atomic step: announced without reading again.
       */
      inCallChanged: Presence[];
    }
  | { ok: true; created: false; call: StoredCall }
  | { ok: false; code: 'INVALID_STATE' | 'TOO_MANY_CALLS' | 'USER_OFFLINE' | 'BUSY' };

/** A compare-and-set on a call's state: `call` is the state after success, or the one that made it fail. */
export type TransitionResult =
  | { ok: true; call: StoredCall }
  | { ok: false; code: 'CALL_NOT_FOUND' }
  | { ok: false; code: 'INVALID_STATE'; call: StoredCall };

export interface EndCallInput {
  callId: string;
  from: readonly CallState[];
  reason: EndReason;
  by?: DeviceRef;
  now: number;
  retainMs: number;
}
export type EndCallResult =
  | (TransitionResult & { ok: false })
  | { ok: true; call: StoredCall; inCallChanged: Presence[] };

export interface HistoryQuery {
  limit: number;
  /** Only records whose `endedAt` is strictly less. */
  before?: number;
}

/**
 * One ended call as one of its users sees it: the contract's history entry,
 * plus internal fields (never sent) that tell a device coming back which
 * ended calls it was in.
 */
export interface HistoryRecord extends CallHistoryEntry {
  /** This user's device in the call: the calling device (outgoing), or the callee device that accepted (incoming). */
  deviceId?: string;
  /** The device whose request ended the call. */
  endedBy?: DeviceRef;
}

/** Store-wide settings fixed at construction. */
export interface StoreOptions {
  /** History records kept per user (the newest). Default {@link DEFAULT_HISTORY_MAX_PER_USER}. */
  historyMaxPerUser?: number;
}
export const DEFAULT_HISTORY_MAX_PER_USER = 200;

/** A call a worker ended, with the presence right after of the users whose last live call it was. */
export interface EndedCall {
  call: StoredCall;
  inCallChanged: Presence[];
}

/** Raised by a store whose backend cannot be reached; maps to `UNAVAILABLE`. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message = 'store unavailable', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The participant roles a device can hold in a call. */
export function isCallerDevice(call: CallSummary, ref: DeviceRef): boolean {
  return call.caller.userId === ref.userId && call.caller.deviceId === ref.deviceId;
}
export function isAcceptedDevice(call: CallSummary, ref: DeviceRef): boolean {
  return (
    call.callee.deviceId !== undefined && call.callee.userId === ref.userId && call.callee.deviceId === ref.deviceId
  );
}
