import type { CallService } from '../domain/call-service.js';
import type { DeviceService } from '../domain/device-service.js';
import type { PresenceService } from '../domain/presence-service.js';
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
    sdp_offer: async ({ device }, req) => {
      await calls.relaySdp(device, 'sdp_offer', req);
      return {};
    },
    sdp_answer: async ({ device }, req) => {
      await calls.relaySdp(device, 'sdp_answer', req);
      return {};
    },
    ice_candidate: async ({ device }, req) => {
      await calls.relayCandidate(device, req);
      return {};
    },
    // Always the sender's own user: there is no way to name another.
    call_history: async ({ device }, req) => ({ calls: await calls.history(device.userId, req) }),
  };
}
