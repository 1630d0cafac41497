import type { SessionPayload } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { DeviceService } from '../domain/device-service.js';
import { knowsOf, trackCalls } from './call-tracker.js';
import { contextOf, type DeviceContext, refreshLiveness, sessionOf } from './device-context.js';
import { releaseRequest } from './release-request.js';
import type { RequestRouter } from './request-router.js';
import { userRoom } from './rooms.js';

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

/**
 * A socket's life on this node: requests are routed from the first moment;
 * the device is registered, told its session, joined to its rooms and told
 * of calls under way; Socket.IO's pongs refresh its liveness; its disconnect
 * unregisters it (a replaced socket's disconnect changes nothing).
 */
export function handleConnection(deps: ConnectionDeps) {
  const { devices, router, logger } = deps;
  const touchEveryMs = Math.floor(deps.presenceTtlMs / 3);
  // Bindings are added only when something is logged: a child logger per
  // socket cost memory on every idle device.
  const warn = ({ device }: DeviceContext, fields: object, msg: string) => logger.warn({ ...device, ...fields }, msg);

  // Listeners shared by every socket (called with the socket as `this`),
  // rather than closures made for each.
  function onDisconnect(this: Socket, reason: string): void {
    const context = contextOf(this);
    logger.debug({ ...context.device, reason }, 'socket disconnected');
    if (!deps.isServing()) return;
    devices.unregister(sessionOf(this)).catch((err) => warn(context, { err }, 'unregister failed'));
  }
  function onPong(context: DeviceContext): void {
    const now = Date.now();
    if (now - context.lastTouch < touchEveryMs) return;
    context.lastTouch = now;
    refreshLiveness(devices, context).catch((err) => warn(context, { err }, 'liveness refresh failed'));
  }

  // Its own scope, so the listener holds the context alone, not the whole connection scope.
  const listenPongs = (context: DeviceContext) => () => onPong(context);

  return (socket: Socket): void => {
    const context = contextOf(socket);
    const session = sessionOf(socket);
    releaseRequest(socket);
    router.attach(socket);
    trackCalls(socket);
    socket.conn.on('heartbeat', listenPongs(context));
    socket.on('disconnect', onDisconnect);

    void (async () => {
      let leftAt: number | undefined;
      try {
        ({ leftAt } = await devices.register(session));
        context.registration = 'done';
      } catch (err) {
        context.registration = 'failed';
        // Still serve the socket: the node re-registers its sockets when the store is back.
        warn(context, { err }, 'device registration failed');
      }
      if (!socket.connected) return;
      // Rooms first, and on several nodes wait until their channels are live:
      // once a device has its session it can be reached, so a call placed
      // right after is never published to a node not yet listening. Calls
      // placed before are in the store and delivered just below.
      socket.join([userRoom(session.userId), context.room]);
      try {
        await deps.roomsReady?.();
      } catch (err) {
        warn(context, { err }, 'room subscriptions failed');
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
        warn(context, { err }, 'could not deliver calls under way');
      }
    })();
  };
}
