import type { DeviceRef, RequestPayload } from '@switchboard/protocol';
import type { Socket } from 'socket.io';
import type { CallService } from '../domain/call-service.js';
import type { DeviceService } from '../domain/device-service.js';
import type { PresenceService } from '../domain/presence-service.js';
import { checkUnderWay, confirmPeer, noteCheck, peekCalls, trustedPeer } from './call-tracker.js';
import { refreshLiveness } from './device-context.js';
import type { Handlers } from './request-router.js';
import { presenceRoom } from './rooms.js';

export interface HandlerDeps {
  calls: CallService;
  devices: DeviceService;
  presence: PresenceService;
  now: () => number;
  /** Resolves once joined rooms are live across nodes. */
  roomsReady?: () => Promise<void>;
  /**
   * Whether the store (and with it the way to other nodes) is reachable.
   * While it is not, a relayed message takes the checked path and is
   * refused UNAVAILABLE, rather than acked and then lost on the way.
   */
  storeReady?: () => boolean;
}

/**
 * How one kind of signaling is relayed: to a peer already confirmed
 * (`direct`), or after the domain read and checked the call (`checked`,
 * which resolves to the peer it relayed to). Made once per kind, so that a
 * relayed message allocates no callbacks of its own.
 */
interface Relay<R extends { callId: string }> {
  direct(device: DeviceRef, peer: DeviceRef, req: R): void;
  checked(device: DeviceRef, req: R): Promise<DeviceRef | undefined>;
}

/** What every kind of relay shares, made once. */
interface RelayPath {
  storeReady: () => boolean;
  /** Reads the call's active peer again, relaying nothing. */
  reconfirm: (device: DeviceRef, callId: string) => Promise<DeviceRef | undefined>;
}

/**
 * Signaling of an active call goes to the peer the store confirmed for this
 * socket within the last 3 s, without reading it again (`direct`); past
 * half that, the message also starts a read that confirms the peer again in
 * the background, so that a steady stream never waits for one. Otherwise
 * the domain reads and checks the call (`checked`), and the peer it relayed
 * to is remembered. While such a check is under way, the socket's next
 * messages of that call wait for it and then take this same path, in their
 * order: one read serves a burst. The socket forgets the peer the moment it
 * is told the call ended.
 */
function relayVia<R extends { callId: string }>(
  relay: Relay<R>,
  path: RelayPath,
  socket: Socket,
  device: DeviceRef,
  req: R,
): Record<string, never> | Promise<Record<string, never>> {
  const { callId } = req;
  const peer = path.storeReady() ? trustedPeer(socket, callId, device, path.reconfirm) : undefined;
  if (peer) {
    relay.direct(device, peer, req);
    return {};
  }
  const pending = checkUnderWay(socket, callId);
  if (pending) {
    const again = () => relayVia(relay, path, socket, device, req);
    return pending.then(again, again);
  }
  const check = relay.checked(device, req);
  noteCheck(socket, callId, check);
  return check.then((to) => {
    confirmPeer(socket, callId, to);
    return {};
  });
}

/** Each client event mapped to the domain service that answers it. */
export function createHandlers({
  calls,
  devices,
  presence,
  now,
  roomsReady,
  storeReady = () => true,
}: HandlerDeps): Handlers {
  const path: RelayPath = { storeReady, reconfirm: (device, callId) => calls.activePeer(device, callId) };
  const sdpRelay = (event: 'sdp_offer' | 'sdp_answer'): Relay<RequestPayload<typeof event>> => ({
    direct: (device, peer, req) => calls.relaySdpTo(device, peer, event, req),
    checked: (device, req) => calls.relaySdp(device, event, req),
  });
  const relays = {
    sdp_offer: sdpRelay('sdp_offer'),
    sdp_answer: sdpRelay('sdp_answer'),
    ice_candidate: {
      direct: (device, peer, req) => calls.relayCandidateTo(device, peer, req),
      checked: (device, req) => calls.relayCandidate(device, req),
    } satisfies Relay<RequestPayload<'ice_candidate'>>,
  };
  return {
    heartbeat: async (ctx) => {
      await refreshLiveness(devices, ctx);
      // The pong after it need not refresh the same liveness again (pongs
      // are timed on the wall clock too, see connection.ts).
      ctx.lastTouch = Date.now();
      return { serverTime: now() };
    },
    presence_subscribe: async ({ socket }, { userIds }) => {
      // Join, and on several nodes wait until the rooms' channels are live,
      // before reading: a change after the ack then always reaches the socket.
      socket.join(userIds.map(presenceRoom));
      await roomsReady?.();
      return { presence: await presence.query(userIds) };
    },
    presence_unsubscribe: ({ socket }, { userIds }) => {
      for (const id of userIds) socket.leave(presenceRoom(id));
      return {};
    },
    presence_query: async (_ctx, { userIds }) => ({ presence: await presence.query(userIds) }),
    call_invite: ({ device }, req) => calls.invite(device, req),
    // What this node told the device of the call (it rang it, it answered
    // it...) spares the domain a read to check the device's role.
    call_accept: async ({ device, socket }, req) => {
      await calls.accept(device, req, peekCalls(socket).get(req.callId));
      return {};
    },
    call_ringing: async ({ device, socket }, req) => {
      await calls.ringing(device, req, peekCalls(socket).get(req.callId));
      return {};
    },
    call_reject: async ({ device }, req) => {
      await calls.reject(device, req);
      return {};
    },
    call_cancel: async ({ device }, req) => {
      await calls.cancel(device, req);
      return {};
    },
    call_end: async ({ device, socket }, req) => {
      await calls.end(device, req, peekCalls(socket).get(req.callId));
      return {};
    },
    sdp_offer: ({ device, socket }, req) => relayVia(relays.sdp_offer, path, socket, device, req),
    sdp_answer: ({ device, socket }, req) => relayVia(relays.sdp_answer, path, socket, device, req),
    ice_candidate: ({ device, socket }, req) => relayVia(relays.ice_candidate, path, socket, device, req),
    // Always the sender's own user: there is no way to name another.
    call_history: async ({ device }, req) => ({ calls: await calls.history(device.userId, req) }),
  };
}
