import type { ClientEventName, DeviceRef } from '@switchboard/protocol';
import type { Socket } from 'socket.io';
import type { KnownCall } from '../domain/device-service.js';
import { listenAnyOutgoing } from './socket-listeners.js';

/** What the socket knows of a call, and the peer the store last confirmed for it (see {@link trustedPeer}). */
interface TrackedCall extends KnownCall {
  peer?: DeviceRef;
  /** When the peer was confirmed, on the monotonic clock ({@link performance.now}). */
  confirmedAt?: number;
  /** Callee side, while ringing: the caller's device, as `call_incoming` named it. */
  caller?: DeviceRef;
  /** A store check of this call under way for one of the socket's messages (see {@link checkUnderWay}). */
  checking?: Promise<unknown>;
}

/**
 * How long a store-confirmed peer of an active call is trusted without
 * reading the store again. The entry goes as soon as the socket is told the
 * call ended, so this bounds only what an end event lost on the way (a
 * partition between nodes) can leave behind. The peer is confirmed by a
 * store read, or by the event that made the call active: `call_accepted`
 * names the caller's peer, and a callee's accept succeeds only for the
 * caller its `call_incoming` named. Both are sent only after the store
 * committed the answer, so they confirm it as a read would.
 */
export const PEER_TRUST_MS = 3000;

/**
 * Past this age a trusted peer is confirmed again in the background by the
 * next message, which is relayed at once (see {@link trustedPeer}): a
 * steady stream of signaling then never waits for a read, while no message
 * is relayed on a confirmation older than {@link PEER_TRUST_MS}.
 */
export const PEER_REFRESH_MS = PEER_TRUST_MS / 2;

const monotonic = () => performance.now();

const trackers = new WeakMap<Socket, Map<string, TrackedCall>>();
/** Per socket, the calls it was told ended (or ended itself), newest last, at most {@link ENDED_KEPT}. */
const endedCalls = new WeakMap<Socket, Set<string>>();
const ENDED_KEPT = 64;

function noteEnded(socket: Socket, callId: string): void {
  let ended = endedCalls.get(socket);
  if (!ended) {
    ended = new Set();
    endedCalls.set(socket, ended);
  }
  ended.delete(callId);
  ended.add(callId);
  if (ended.size > ENDED_KEPT) ended.delete(ended.values().next().value as string);
}

/** The socket's calls, made on its first call event: most connected devices are idle and never need one. */
function tracked(socket: Socket): Map<string, TrackedCall> {
  let known = trackers.get(socket);
  if (!known) {
    known = new Map();
    trackers.set(socket, known);
  }
  return known;
}

type Outgoing = {
  callId?: string;
  role?: 'caller' | 'callee';
  state?: string;
  /** `call_incoming`: the caller's device. */
  from?: DeviceRef;
  /** `call_accepted`: the device that answered. */
  by?: DeviceRef;
};

/** One listener shared by every socket (Socket.IO calls it with the socket as `this`). */
function observeOutgoing(this: Socket, event: string, payload: Outgoing): void {
  const callId = payload?.callId;
  if (typeof callId !== 'string') return;
  if (event === 'call_incoming') {
    const { from } = payload;
    tracked(this).set(callId, { role: 'callee', state: 'ringing', ...(from && { caller: from }) });
  } else if (event === 'call_resumed' && payload.role && (payload.state === 'ringing' || payload.state === 'active')) {
    tracked(this).set(callId, { role: payload.role, state: payload.state });
  } else if (event === 'call_accepted') {
    const { by } = payload;
    tracked(this).set(callId, { role: 'caller', state: 'active', ...(by && { peer: by, confirmedAt: monotonic() }) });
  } else if (event === 'call_ended') {
    trackers.get(this)?.delete(callId);
    noteEnded(this, callId);
  }
}

/**
 * Follows what one socket is told about its calls, read off the events that
 * actually left for it and the requests it made. After a store outage this
 * is compared with the stored state to tell the device what it missed.
 */
export function trackCalls(socket: Socket): void {
  listenAnyOutgoing(socket, observeOutgoing);
}

/**
 * Whether the socket already heard of the call: it knows it as live, or was
 * told it ended (so it must never be rung for it again).
 */
export function knowsOf(socket: Socket, callId: string): boolean {
  return trackers.get(socket)?.has(callId) === true || endedCalls.get(socket)?.has(callId) === true;
}

/**
 * The socket's calls as a live map: what the socket is told while a caller
 * awaits the store shows up in it (a resync relies on that not to tell a
 * device twice).
 */
export function knownCalls(socket: Socket): Map<string, KnownCall> {
  return tracked(socket);
}

/** The socket's calls for reading only (metrics): an idle socket gets no map made for it. */
export function peekCalls(socket: Socket): ReadonlyMap<string, KnownCall> {
  return trackers.get(socket) ?? EMPTY;
}

const EMPTY: ReadonlyMap<string, KnownCall> = new Map();

/**
 * The other participant of an active call of this socket, when the store
 * named it within the last {@link PEER_TRUST_MS}: relayed candidates and
 * SDPs then skip the store read (on Redis, a round trip per message).
 *
 * Once that confirmation is older than {@link PEER_REFRESH_MS}, this also
 * starts `reconfirm(device, callId)`, and the socket's messages go on to the
 * peer meanwhile. A read that does not confirm the peer (the call ended, the
 * sender is no longer in it, the store failed) ends the trust, and the next
 * message is checked in full and answered accordingly. The read counts as
 * the call's check under way, so messages that outlive the trust wait for it
 * rather than read again.
 */
export function trustedPeer(
  socket: Socket,
  callId: string,
  device: DeviceRef,
  reconfirm: (device: DeviceRef, callId: string) => Promise<DeviceRef | undefined>,
): DeviceRef | undefined {
  const call = trackers.get(socket)?.get(callId);
  if (call?.state !== 'active' || call.confirmedAt === undefined) return undefined;
  const now = monotonic();
  const age = now - call.confirmedAt;
  if (age > PEER_TRUST_MS) return undefined;
  if (age >= PEER_REFRESH_MS && !call.checking) confirmAgain(call, now, reconfirm(device, callId));
  return call.peer;
}

/** Applies what a background read `asked` at `readAt` says of the call's peer (see {@link trustedPeer}). */
function confirmAgain(call: TrackedCall, readAt: number, asked: Promise<DeviceRef | undefined>): void {
  const distrust = () => {
    // Unless a newer confirmation came in meanwhile.
    if (call.confirmedAt !== undefined && call.confirmedAt <= readAt) delete call.confirmedAt;
  };
  // Written to the entry the read was started for: an entry that replaced
  // it meanwhile (the call resumed, say) is not confirmed by an older read.
  markChecking(
    call,
    asked.then((peer) => (peer ? confirm(call, peer, readAt) : distrust()), distrust),
  );
}

/**
 * Records the peer the store confirmed for an active call the socket knows
 * as active, by a read issued at `readAt` (the trust runs from when the
 * store was asked, not from when it answered).
 */
export function confirmPeer(socket: Socket, callId: string, peer: DeviceRef | undefined, readAt = monotonic()): void {
  const call = trackers.get(socket)?.get(callId);
  if (peer && call?.state === 'active') confirm(call, peer, readAt);
}

function confirm(call: TrackedCall, peer: DeviceRef, readAt: number): void {
  call.peer = peer;
  call.confirmedAt = Math.max(call.confirmedAt ?? readAt, readAt);
}

/**
 * The store check of the socket's call that one of its messages has under
 * way, if any. A device sends its candidates in a burst as soon as the call
 * is answered: the rest of the burst waits for that one check and then finds
 * the peer it confirmed, instead of each message reading the call itself.
 */
export function checkUnderWay(socket: Socket, callId: string): Promise<unknown> | undefined {
  return trackers.get(socket)?.get(callId)?.checking;
}

/** Records `check` as under way for the call, while it runs, when the socket knows the call as active. */
export function noteCheck(socket: Socket, callId: string, check: Promise<unknown>): void {
  const call = trackers.get(socket)?.get(callId);
  if (call?.state === 'active') markChecking(call, check);
}

function markChecking(call: TrackedCall, check: Promise<unknown>): void {
  call.checking = check;
  const clear = () => {
    if (call.checking === check) call.checking = undefined;
  };
  check.then(clear, clear);
}

/** Updates the socket's view after one of its own requests succeeded. */
export function noteRequest(socket: Socket, event: ClientEventName, callId: string | undefined): void {
  if (callId === undefined) return;
  if (event === 'call_invite') tracked(socket).set(callId, { role: 'caller', state: 'ringing' });
  else if (event === 'call_accept') {
    const caller = trackers.get(socket)?.get(callId)?.caller;
    tracked(socket).set(callId, {
      role: 'callee',
      state: 'active',
      ...(caller && { peer: caller, confirmedAt: monotonic() }),
    });
  } else if (event === 'call_reject' || event === 'call_cancel' || event === 'call_end') {
    trackers.get(socket)?.delete(callId);
    noteEnded(socket, callId);
  }
}
