import { type CallEndedPayload, type DeviceRef, Limits } from '@switchboard/protocol';
import { type HistoryRecord, isAcceptedDevice, isCallerDevice, type Store, type StoredCall } from '../store/store.js';
import { answeredElsewherePayload, callEndedPayload, callIncomingPayload, recordEndedPayload } from './call-events.js';
import type { Notifier } from './notifier.js';
import type { PresenceService } from './presence-service.js';

/** How long a just-placed call's own events may take to reach a device on another node. */
const RECENT_CALL_MS = 500;

export interface DeviceRules {
  nodeId: string;
  presenceTtlMs: number;
  reconnectGraceMs: number;
}

export interface DeviceSession extends DeviceRef {
  socketId: string;
}

/** A call as one device last heard of it. */
export interface KnownCall {
  role: 'caller' | 'callee';
  state: 'ringing' | 'active';
}

/**
 * A device's life on this node: registration (replacing an older socket of
 * the same device, wherever it is), liveness refreshes, and what a device
 * that (re)connects must be told about calls already under way.
 */
export class DeviceService {
  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly presence: PresenceService,
    private readonly rules: DeviceRules,
    private readonly now: () => number = Date.now,
    /**
     * Reaches a device on this node without a round trip through Redis:
     * what a (re)connecting device is told is compared with what already
     * reached it, and a delivery still in flight would slip past that check.
     */
    private readonly local: Notifier = notifier,
  ) {}

  /**
   * Registers the device. `leftAt` is when it left, when it comes back
   * within its disconnect grace (which this registration cancels): pass it
   * to {@link deliverPending} so the device hears of the calls that ended
   * while it was away.
   */
  async register(session: DeviceSession): Promise<{ leftAt?: number }> {
    const result = await this.store.registerDevice({
      ...session,
      nodeId: this.rules.nodeId,
      now: this.now(),
      ttlMs: this.rules.presenceTtlMs,
    });
    if (result.replaced) this.notifier.disconnectSocket(result.replaced.socketId);
    if (result.cameOnline) await this.presence.announce([session.userId]);
    return result.graceEndsAt === undefined ? {} : { leftAt: result.graceEndsAt - this.rules.reconnectGraceMs };
  }

  async unregister(session: DeviceSession): Promise<void> {
    const result = await this.store.unregisterDevice({
      ...session,
      now: this.now(),
      graceMs: this.rules.reconnectGraceMs,
    });
    if (result.wentOffline) await this.presence.announce([session.userId]);
  }

  /**
   * Refreshes liveness; false when the socket turned out stale and was
   * closed. A device swept meanwhile (a Redis blip, say) is registered again.
   *
   * A device held by another socket was replaced by it once this socket's
   * own registration has `landed`: the replacing node closes the old socket
   * with one publish, which can be lost, and registering the old socket
   * again would push out the new one. When this socket's registration
   * failed (the store was down), the store cannot say which socket came
   * later; the connection made last keeps the device, as a registration
   * would have decided: the holder's registration time against this
   * socket's `connectedAt` (epoch ms).
   */
  async touch(session: DeviceSession, landed: boolean, connectedAt: number): Promise<boolean> {
    const outcome = await this.store.touchDevice(session, session.socketId, this.now(), this.rules.presenceTtlMs);
    if (outcome === 'extended') return true;
    if (outcome === 'replaced' && (landed || (await this.heldSince(session)) > connectedAt)) {
      this.local.disconnectSocket(session.socketId);
      return false;
    }
    await this.register(session);
    return true;
  }

  /** When the socket that holds the session's device now registered it (-1 when none does). */
  private async heldSince(session: DeviceSession): Promise<number> {
    const holder = (await this.store.listDevices(session.userId)).find(
      (d) => d.deviceId === session.deviceId && d.socketId !== session.socketId,
    );
    return holder?.connectedAt ?? -1;
  }

  /**
   * Brings a device that may have missed events (its node lost the store for
   * a while) up to date from the stored state, which is the truth: a call
   * that ended meanwhile is ended on the device, one answered meanwhile is
   * answered, a call that vanished (the store was emptied) ends
   * `disconnected`, and calls that began ringing meanwhile ring.
   */
  async reconcile(session: DeviceSession, known: ReadonlyMap<string, KnownCall>): Promise<void> {
    const to = { devices: [session] };
    for (const callId of [...known.keys()]) {
      const call = await this.store.getCall(callId);
      // `known` is live: while the store was read, the device may have been
      // told of this call's end, or its answer. Judge by what it knows now.
      const view = known.get(callId);
      if (!view) continue;
      if (!call) {
        this.local.emit(to, 'call_ended', { callId, reason: 'disconnected' });
        continue;
      }
      const answeredElsewhere =
        view.role === 'callee' && call.callee.deviceId !== undefined && !isAcceptedDevice(call, session);
      if (call.state === 'ended') {
        // An end this recent may still be on its way through the rooms (the
        // store changes before the event is published); let it land, and
        // tell the device only if it did not.
        await this.letRecentLand(call.endedAt ?? 0);
        if (!known.has(callId)) continue;
        this.local.emit(to, 'call_ended', answeredElsewhere ? answeredElsewherePayload(call) : callEndedPayload(call));
      } else if (call.state === 'active' && view.state === 'ringing') {
        if (view.role === 'caller') {
          this.local.emit(to, 'call_accepted', {
            callId,
            ...(call.answer !== undefined && { sdp: call.answer }),
            by: { userId: call.callee.userId, deviceId: call.callee.deviceId! },
          });
        } else if (answeredElsewhere) {
          this.local.emit(to, 'call_ended', answeredElsewherePayload(call));
        }
      }
    }
    await this.deliverPending(session, (callId) => known.has(callId));
  }

  /**
   * Calls a newly connected device must hear of: every call ringing for its
   * user (`call_incoming`, with the caller's candidates so far), and every
   * call in which this very device is a participant (`call_resumed`). A
   * device back from an absence that began at `leftAt` also hears of the
   * calls it was in that ended meanwhile (`call_ended`), and of a call
   * ringing on it that another device of its user answered meanwhile
   * (`call_ended` `answered_elsewhere`).
   */
  async deliverPending(
    session: DeviceSession,
    skip: (callId: string) => boolean = () => false,
    leftAt?: number,
  ): Promise<void> {
    const to = { devices: [session] };
    if (leftAt !== undefined) await this.deliverMissedEnds(session, leftAt, skip);
    for (const listed of await this.store.listUserCalls(session.userId)) {
      let call: StoredCall | null = listed;
      // A call placed just now is also on its way to the device through its
      // rooms; give that delivery time to land, so the device hears of the
      // call once, whichever path wins (then read it again: it may be over).
      if (await this.letRecentLand(listed.createdAt)) call = await this.store.getCall(listed.callId);
      if (!call || skip(call.callId)) continue;
      if (call.state === 'ringing' && call.callee.userId === session.userId) {
        const candidates = await this.store.getCandidates(call.callId);
        // The invite's own broadcast may have reached the device meanwhile.
        if (skip(call.callId)) continue;
        this.local.emit(to, 'call_incoming', callIncomingPayload(call, candidates));
      } else if (call.state !== 'ended' && isCallerDevice(call, session)) {
        this.local.emit(to, 'call_resumed', {
          callId: call.callId,
          state: call.state,
          role: 'caller',
          peer: { ...call.callee },
        });
      } else if (call.state === 'active' && isAcceptedDevice(call, session)) {
        this.local.emit(to, 'call_resumed', {
          callId: call.callId,
          state: 'active',
          role: 'callee',
          peer: { ...call.caller },
        });
      } else if (
        leftAt !== undefined &&
        call.state === 'active' &&
        call.callee.userId === session.userId &&
        !isCallerDevice(call, session) &&
        call.createdAt <= leftAt &&
        (call.answeredAt ?? 0) >= leftAt
      ) {
        // It rang here before the device left, and another device took it meanwhile.
        this.local.emit(to, 'call_ended', answeredElsewherePayload(call));
      }
    }
  }

  /** `call_ended` for each call this device was in that ended at or after `leftAt`, oldest first. */
  private async deliverMissedEnds(
    session: DeviceSession,
    leftAt: number,
    skip: (callId: string) => boolean,
  ): Promise<void> {
    const records = await this.store.getHistory(session.userId, { limit: Limits.historyMax });
    const missed = records
      .filter((r) => r.endedAt >= leftAt)
      .flatMap((r) => {
        const payload = missedEnd(r, session, leftAt);
        return payload ? [{ payload, endedAt: r.endedAt }] : [];
      })
      .reverse();
    if (missed.length === 0) return;
    // An end this recent may still be on its way through the rooms the socket
    // just joined; let it land, so the device hears of it once.
    await this.letRecentLand(Math.max(...missed.map((m) => m.endedAt)));
    for (const { payload } of missed) {
      if (!skip(payload.callId)) this.local.emit({ devices: [session] }, 'call_ended', payload);
    }
  }

  /**
   * Waits until an event of moment `at` (epoch ms) has had RECENT_CALL_MS to
   * travel through the rooms; true when it had to wait.
   */
  private async letRecentLand(at: number): Promise<boolean> {
    const age = this.now() - at;
    if (age >= RECENT_CALL_MS) return false;
    await new Promise((r) => setTimeout(r, RECENT_CALL_MS - age));
    return true;
  }
}

/**
 * What a device away since `leftAt` missed of one ended call of its user:
 * the end itself when it was the calling device, the callee device that
 * accepted, or (never answered) a callee device it rang on; or
 * `answered_elsewhere` when another device of its user accepted it while
 * it was away. Nothing for calls it never heard of.
 */
function missedEnd(record: HistoryRecord, device: DeviceRef, leftAt: number): CallEndedPayload | undefined {
  if (record.deviceId === device.deviceId) return recordEndedPayload(record);
  if (record.direction === 'outgoing' || record.createdAt > leftAt) return undefined;
  if (record.deviceId === undefined) return recordEndedPayload(record);
  if ((record.answeredAt ?? 0) < leftAt) return undefined;
  return {
    callId: record.callId,
    reason: 'answered_elsewhere',
    by: { userId: device.userId, deviceId: record.deviceId },
  };
}
