import { randomUUID } from 'node:crypto';
import {
  type CallHistoryEntry,
  type DeviceRef,
  type EndReason,
  Limits,
  type Presence,
  type RequestPayload,
  type SignalingEventName,
} from '@switchboard/protocol';
import {
  type CallSummary,
  isCallerDevice,
  type Store,
  type StoredCall,
  type TransitionResult,
} from '../store/store.js';
import { WindowBatch } from '../window-batch.js';
import { answeredElsewherePayload, callEndedPayload, callIncomingPayload } from './call-events.js';
import { isCalleeDevice, isMediaParticipant, mayEnd, otherParticipant } from './call-roles.js';
import type { KnownCall } from './device-service.js';
import { DomainError } from './domain-error.js';
import type { Notifier } from './notifier.js';
import type { PresenceService } from './presence-service.js';
import type { PushPort } from './push.js';

export interface CallRules {
  ringTimeoutMs: number;
  maxConcurrentCalls: number;
  /** How long an ended call is remembered (requests about it answer INVALID_STATE). */
  endedRetentionMs: number;
  /** Ring a user with no online device (the push webhook will wake one). */
  ringOffline: boolean;
}

/** A user's call history as the contract shows it: newest first, paged by `endedAt`. */
export interface HistoryRequest {
  limit?: number;
  before?: number;
}

/** Hooks for observers (metrics, push); the call rules do not depend on them. */
export interface CallObserver {
  onCreated?(call: StoredCall): void;
  /** The first callee device rang (`by`); repeats are not reported. */
  onRinging?(call: StoredCall, by: DeviceRef): void;
  onAccepted?(call: StoredCall): void;
  onEnded?(call: StoredCall): void;
}

/**
 * The call state machine. Each request is checked in the contract's order
 * (the call exists, the sender's role, the call's state) against a snapshot,
 * then applied as a compare-and-set in the store; a set that loses a race is
 * reported as INVALID_STATE, the loser's view of the winner's outcome.
 */
export class CallService {
  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly presence: PresenceService,
    private readonly rules: CallRules,
    private readonly now: () => number = Date.now,
    private readonly observer: CallObserver = {},
    /** Wakes offline callees; without it a call never rings a user with no device. */
    private readonly push?: PushPort,
  ) {}

  /**
   * Re-confirmations of relay peers (see {@link activePeer}): nothing waits
   * for them, so those of 50 ms go to the store as one round trip.
   */
  private readonly peerReads = new WindowBatch((callIds: string[]) => this.store.getCallSummaries(callIds), 50);

  async invite(sender: DeviceRef, req: RequestPayload<'call_invite'>): Promise<{ callId: string; expiresAt: number }> {
    if (req.to === sender.userId) throw new DomainError('SELF_CALL');
    const now = this.now();
    const result = await this.store.createCall({
      callId: req.callId ?? randomUUID(),
      caller: { userId: sender.userId, deviceId: sender.deviceId },
      calleeUserId: req.to,
      media: req.media,
      offer: req.sdp,
      ...(req.metadata && { metadata: req.metadata }),
      now,
      expiresAt: now + this.rules.ringTimeoutMs,
      maxConcurrent: this.rules.maxConcurrentCalls,
      allowOffline: this.rules.ringOffline,
    });
    if (!result.ok) throw new DomainError(result.code);
    const { call } = result;
    if (result.created) {
      this.notifier.emit({ users: [call.callee.userId] }, 'call_incoming', callIncomingPayload(call, []));
      if (call.pushed) this.pushInvite(call);
      this.observer.onCreated?.(call);
      this.presence.publish(result.inCallChanged);
    }
    return { callId: call.callId, expiresAt: call.expiresAt };
  }

  /**
   * `view` is what this server told the sender's device of the call, if
   * anything. A device it rang is a callee device of that call for good, so
   * its role needs no read; the exists and state checks are the store
   * transition's own, with the same answers.
   */
  async ringing(sender: DeviceRef, { callId }: RequestPayload<'call_ringing'>, view?: KnownCall): Promise<void> {
    if (view?.role !== 'callee') await this.load(callId, sender, isCalleeDevice, ['ringing']);
    const result = await this.store.markRinging(callId, sender);
    const call = this.orInvalidState(result);
    if (result.ok && result.first) {
      this.notifier.emit({ devices: [call.caller] }, 'call_ringing', { callId, by: sender });
      this.observer.onRinging?.(call, sender);
    }
  }

  /** `view`: as for {@link ringing}. */
  async accept(sender: DeviceRef, { callId, sdp }: RequestPayload<'call_accept'>, view?: KnownCall): Promise<void> {
    if (view?.role !== 'callee') await this.load(callId, sender, isCalleeDevice, ['ringing']);
    const call = this.orInvalidState(await this.store.acceptCall(callId, sender, sdp, this.now()));
    this.notifier.emit({ devices: [call.caller] }, 'call_accepted', {
      callId,
      ...(sdp !== undefined && { sdp }),
      by: sender,
    });
    this.notifier.emit({ users: [call.callee.userId], except: sender }, 'call_ended', answeredElsewherePayload(call));
    if (call.pushed) this.push?.callEnded({ type: 'call_ended', callId, to: call.callee.userId, reason: 'answered' });
    this.observer.onAccepted?.(call);
  }

  async reject(sender: DeviceRef, { callId, reason }: RequestPayload<'call_reject'>): Promise<void> {
    await this.load(callId, sender, isCalleeDevice, ['ringing']);
    await this.finish(callId, ['ringing'], reason === 'busy' ? 'busy' : 'rejected', sender);
  }

  async cancel(sender: DeviceRef, { callId }: RequestPayload<'call_cancel'>): Promise<void> {
    await this.load(callId, sender, isCallerDevice, ['ringing']);
    await this.finish(callId, ['ringing'], 'cancelled', sender);
  }

  /**
   * Hang up, or while ringing cancel (caller) or reject (callee). When the
   * state moved under us (answered as the caller hung up), the request is
   * judged again against the new state: the user meant to end the call.
   *
   * `view` is what this server told the sender's device of the call. Every
   * device it knows a call of may end it in the state it knows: the caller's
   * device and the callee device that answered, and while ringing every
   * callee device. So the end is tried at once from that state; a device
   * whose view is behind (the call was answered or ended meanwhile) is
   * judged against the stored call, as without a view.
   */
  async end(sender: DeviceRef, { callId, reason }: RequestPayload<'call_end'>, view?: KnownCall): Promise<void> {
    if (view) {
      const result = await this.store.endCall({
        callId,
        from: [view.state],
        reason: view.state === 'active' ? (reason ?? 'hangup') : view.role === 'caller' ? 'cancelled' : 'rejected',
        by: sender,
        now: this.now(),
        retainMs: this.rules.endedRetentionMs,
      });
      if (result.ok) return this.announceEnd(result.call, result.inCallChanged, sender);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const call = await this.load(callId, sender, mayEnd, ['ringing', 'active']);
      const endReason: EndReason =
        call.state === 'active' ? (reason ?? 'hangup') : isCallerDevice(call, sender) ? 'cancelled' : 'rejected';
      const result = await this.store.endCall({
        callId,
        from: [call.state],
        reason: endReason,
        by: sender,
        now: this.now(),
        retainMs: this.rules.endedRetentionMs,
      });
      if (result.ok) return this.announceEnd(result.call, result.inCallChanged, sender);
      if (result.code === 'CALL_NOT_FOUND') throw new DomainError('CALL_NOT_FOUND');
    }
    throw new DomainError('INVALID_STATE');
  }

  /** Relays an SDP to the other participant; resolves to that device (see {@link relaySdpTo}). */
  async relaySdp(
    sender: DeviceRef,
    event: Exclude<SignalingEventName, 'ice_candidate'>,
    req: { callId: string; sdp: string },
  ): Promise<DeviceRef | undefined> {
    const call = await this.load(req.callId, sender, isMediaParticipant, ['active']);
    const to = otherParticipant(call, sender);
    if (to) this.relaySdpTo(sender, to, event, req);
    return to;
  }

  /**
   * Relays to a peer the caller already checked: the transport passes the
   * peer the store confirmed for this active call moments ago, so that a
   * stream of messages does not read the store once per message.
   */
  relaySdpTo(
    sender: DeviceRef,
    to: DeviceRef,
    event: Exclude<SignalingEventName, 'ice_candidate'>,
    req: { callId: string; sdp: string },
  ): void {
    this.notifier.emit({ devices: [to] }, event, { callId: req.callId, sdp: req.sdp, from: sender });
  }

  /** Relays a candidate; resolves to the other participant once the call is active (see {@link relayCandidateTo}). */
  async relayCandidate(sender: DeviceRef, req: RequestPayload<'ice_candidate'>): Promise<DeviceRef | undefined> {
    const { callId, candidate } = req;
    const call = await this.load(callId, sender, isMediaParticipant, ['ringing', 'active']);
    if (call.state === 'active') {
      const to = otherParticipant(call, sender);
      if (to) this.relayCandidateTo(sender, to, req);
      return to;
    }
    const payload = { callId, candidate, from: sender };
    // Ringing: only the caller gets here. Devices that start ringing later
    // get the stored ones in their call_incoming.
    if (candidate) await this.store.addCandidate(callId, candidate, Limits.storedCandidates);
    this.notifier.emit({ users: [call.callee.userId] }, 'ice_candidate', payload);
    return undefined;
  }

  /**
   * The other participant of an active call, as the store has it now: how a
   * transport re-confirms a peer it relays to without a read per message.
   * Nothing waits for the answer, so the read goes with the others of the
   * next 50 ms. Throws the contract's error once the sender may no longer
   * signal in the call.
   */
  async activePeer(sender: DeviceRef, callId: string): Promise<DeviceRef | undefined> {
    const call = checked(await this.peerReads.add(callId), sender, isMediaParticipant, ['active']);
    return otherParticipant(call, sender);
  }

  /** As {@link relaySdpTo}, for a candidate of an active call. */
  relayCandidateTo(sender: DeviceRef, to: DeviceRef, { callId, candidate }: RequestPayload<'ice_candidate'>): void {
    this.notifier.emit({ devices: [to] }, 'ice_candidate', { callId, candidate, from: sender });
  }

  /**
   * Tells every involved device of an end (but the one that caused it), and
   * presence subscribers of the `inCall` changes the end made (`inCallChanged`,
   * as the store handed it back).
   */
  announceEnd(call: StoredCall, inCallChanged: readonly Presence[], causedBy?: DeviceRef): void {
    const payload = callEndedPayload(call);
    const answeredBy = otherParticipant(call, call.caller);
    const audience = answeredBy
      ? { devices: [call.caller, answeredBy] }
      : { devices: [call.caller], users: [call.callee.userId] };
    this.notifier.emit({ ...audience, ...(causedBy && { except: causedBy }) }, 'call_ended', payload);
    // A pushed call that ends without an answer stops ringing now: the app clears its notification.
    if (call.pushed && call.answeredAt === undefined) {
      this.push?.callEnded({ type: 'call_ended', callId: call.callId, to: call.callee.userId, reason: payload.reason });
    }
    this.observer.onEnded?.(call);
    this.presence.publish(inCallChanged);
  }

  /** The asking user's own ended calls, newest `endedAt` first. */
  async history(userId: string, { limit, before }: HistoryRequest): Promise<CallHistoryEntry[]> {
    const records = await this.store.getHistory(userId, {
      limit: limit ?? Limits.historyDefault,
      ...(before !== undefined && { before }),
    });
    // Only the contract's fields: the device ids kept for reconnects stay inside.
    return records.map((r) => ({
      callId: r.callId,
      direction: r.direction,
      peer: { userId: r.peer.userId },
      media: r.media,
      createdAt: r.createdAt,
      ...(r.answeredAt !== undefined && { answeredAt: r.answeredAt }),
      endedAt: r.endedAt,
      durationMs: r.durationMs,
      reason: r.reason,
    }));
  }

  private pushInvite(call: StoredCall): void {
    this.push?.callInvite(
      {
        type: 'call_invite',
        callId: call.callId,
        from: { userId: call.caller.userId, deviceId: call.caller.deviceId },
        to: call.callee.userId,
        media: call.media,
        expiresAt: call.expiresAt,
      },
      async () => (await this.store.getCallSummary(call.callId))?.state === 'ringing',
    );
  }

  private async finish(callId: string, from: StoredCall['state'][], reason: EndReason, by: DeviceRef) {
    const result = await this.store.endCall({
      callId,
      from,
      reason,
      by,
      now: this.now(),
      retainMs: this.rules.endedRetentionMs,
    });
    if (!result.ok) this.orInvalidState(result);
    else this.announceEnd(result.call, result.inCallChanged, by);
  }

  /** Loads a call and applies the contract's checks in order: exists, role, state. */
  private async load(
    callId: string,
    sender: DeviceRef,
    role: (call: CallSummary, ref: DeviceRef) => boolean,
    states: readonly CallSummary['state'][],
  ): Promise<CallSummary> {
    // The summary, not the call: every relayed candidate passes here, and the
    // SDPs (up to 64 KiB each) are never needed for the checks.
    return checked(await this.store.getCallSummary(callId), sender, role, states);
  }

  private orInvalidState(result: TransitionResult): StoredCall {
    if (result.ok) return result.call;
    throw new DomainError(result.code);
  }
}

/** The contract's checks of a request against a call, in order: exists, role, state. */
function checked(
  call: CallSummary | null,
  sender: DeviceRef,
  role: (call: CallSummary, ref: DeviceRef) => boolean,
  states: readonly CallSummary['state'][],
): CallSummary {
  if (!call) throw new DomainError('CALL_NOT_FOUND');
  if (!role(call, sender)) throw new DomainError('NOT_PARTICIPANT');
  if (!states.includes(call.state)) throw new DomainError('INVALID_STATE');
  return call;
}
