import type { SessionPayload } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { DeviceService, DeviceSession } from '../domain/device-service.js';
import { knowsOf, trackCalls } from './call-tracker.js';
import type { SocketData } from './handshake.js';
import type { RequestRouter } from './request-router.js';
import { deviceRoom, userRoom } from './rooms.js';

export interface ConnectionDeps {
  devices: DeviceService;
  router: RequestRouter;
  logger: Logger;
  presenceTtlMs: number;
  sessionFor(userId: string, deviceId: string): SessionPayload;
  /** Resolves once joined rooms are live across nodes (absent on one node, where joining is immediate). */
  roomsReady?: () => Promise<void>;
  /** False while the node drains: its sockets leave without unregistering, to be taken over elsewhere. */
  isServing(): boolean;
}

export function sessionOf(socket: Socket): DeviceSession {
  const { userId, deviceId } = socket.data as SocketData;
  return { userId, deviceId, socketId: socket.id };
}

/**
 * A socket's life on this node: requests are routed from the first moment;
 * the device is registered, told its session, joined to its rooms and told
 * of calls under way; Socket.IO's pongs refresh its liveness; its disconnect
 * unregisters it (a replaced socket's disconnect changes nothing).
 */
export function handleConnection(deps: ConnectionDeps) {
  const { devices, router, logger } = deps;
  const touchEveryMs = Math.floor(deps.presenceTtlMs / 3);
  return (socket: Socket): void => {
    const session = sessionOf(socket);
    // The handshake is built; the HTTP request behind it would otherwise stay
    // referenced for the socket's whole life (a few KB per idle device).
    (socket.conn as { request: unknown }).request = null;
    // A child logger per socket cost memory on every idle device; the
    // bindings are added only when something is logged.
    const who = { userId: session.userId, deviceId: session.deviceId };
    const log = {
      debug: (fields: object, msg: string) => logger.debug({ ...who, ...fields }, msg),
      warn: (fields: object, msg: string) => logger.warn({ ...who, ...fields }, msg),
    };
    router.attach({ device: who, session, socket });
    trackCalls(socket);

    let lastTouch = Date.now();
    socket.conn.on('heartbeat', () => {
      if (Date.now() - lastTouch < touchEveryMs) return;
      lastTouch = Date.now();
      devices.touch(session).catch((err) => log.warn({ err }, 'liveness refresh failed'));
    });

    socket.on('disconnect', (reason) => {
      log.debug({ reason }, 'socket disconnected');
      if (!deps.isServing()) return;
      devices.unregister(session).catch((err) => log.warn({ err }, 'unregister failed'));
    });

    void (async () => {
      let leftAt: number | undefined;
      try {
        ({ leftAt } = await devices.register(session));
      } catch (err) {
        // Still serve the socket: the node re-registers its sockets when the store is back.
        log.warn({ err }, 'device registration failed');
      }
      if (!socket.connected) return;
      // Rooms first, and on several nodes wait until their channels are live:
      // once a device has its session it can be reached, so a call placed
      // right after is never published to a node not yet listening. Calls
      // placed before are in the store and delivered just below.
      socket.join([userRoom(session.userId), deviceRoom(session)]);
      try {
        await deps.roomsReady?.();
      } catch (err) {
        log.warn({ err }, 'room subscriptions failed');
      }
      if (!socket.connected) return;
      socket.emit('session', deps.sessionFor(session.userId, session.deviceId));
      try {
        // A call placed while this ran may already have reached the socket
        // through its rooms (or be its own invite): telling it again would
        // ring twice or resume a call the device is placing. One it was told
        // ended must never ring it again.
        await devices.deliverPending(session, (callId) => knowsOf(socket, callId), leftAt);
      } catch (err) {
        log.warn({ err }, 'could not deliver calls under way');
      }
    })();
  };
}
