import type { DeviceRef } from '@switchboard/protocol';
import type { Socket } from 'socket.io';
import type { CallService } from '../domain/call-service.js';
import type { DeviceService } from '../domain/device-service.js';
import type { PresenceService } from '../domain/presence-service.js';
import { confirmedPeer, confirmPeer } from './call-tracker.js';
import type { Handlers } from './request-router.js';
import { presenceRoom } from './rooms.js';

export interface HandlerDeps {
  calls: CallService;
  devices: DeviceService;
  presence: PresenceService;
  now: () => number;
  /** Resolves once joined rooms are live across nodes. */
  roomsReady?: () => Promise<void>;
}

function relaySdp(
  calls: CallService,
  device: DeviceRef,
  socket: Socket,
  event: 'sdp_offer' | 'sdp_answer',
  req: { callId: string; sdp: string },
  now: number,
): Record<string, never> | Promise<Record<string, never>> {
  const peer = confirmedPeer(socket, req.callId, now);
  if (peer) {
    calls.relaySdpTo(device, peer, event, req);
    return {};
  }
  return calls.relaySdp(device, event, req).then((to) => {
    confirmPeer(socket, req.callId, to, now);
    return {};
  });
}

/** Each client event mapped to the domain service that answers it. */
export function createHandlers({ calls, devices, presence, now, roomsReady }: HandlerDeps): Handlers {
  return {
    heartbeat: async ({ session }) => {
      await devices.touch(session);
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
    call_accept: async ({ device }, req) => {
      await calls.accept(device, req);
      return {};
    },
    call_ringing: async ({ device }, req) => {
      await calls.ringing(device, req);
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
    call_end: async ({ device }, req) => {
      await calls.end(device, req);
      return {};
    },
    // Signaling of an active call goes to the peer the store confirmed for
    // this socket within the last 3 s, without reading it again; the
    // socket forgets the peer the moment it is told the call ended.
    sdp_offer: ({ device, socket }, req) => relaySdp(calls, device, socket, 'sdp_offer', req, now()),
    sdp_answer: ({ device, socket }, req) => relaySdp(calls, device, socket, 'sdp_answer', req, now()),
    ice_candidate: ({ device, socket }, req) => {
      const peer = confirmedPeer(socket, req.callId, now());
      if (peer) {
        calls.relayCandidateTo(device, peer, req);
        return {};
      }
      return calls.relayCandidate(device, req).then((to) => {
        confirmPeer(socket, req.callId, to, now());
        return {};
      });
    },
    // Always the sender's own user: there is no way to name another.
    call_history: async ({ device }, req) => ({ calls: await calls.history(device.userId, req) }),
  };
}
