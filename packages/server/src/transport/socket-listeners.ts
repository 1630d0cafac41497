import type { Socket } from 'socket.io';

type AnyListener = Parameters<Socket['onAny']>[0];

/**
 * Socket.IO keeps a socket's catch-all listeners in arrays it creates empty
 * and pushes to, which V8 then sizes for 16 entries on every connected
 * device, for one listener. These install the listener in an array of one
 * instead, through the field Socket.IO reads, and fall back
 * to the public call should that field ever move (Socket.IO 4.x reads
 * `_anyListeners` and `_anyOutgoingListeners`, and `listenersAny()` returns
 * the array itself).
 */
export function listenAny(socket: Socket, listener: AnyListener): void {
  (socket as unknown as { _anyListeners?: AnyListener[] })._anyListeners = [listener];
  if (socket.listenersAny()[0] !== listener) socket.onAny(listener);
}

export function listenAnyOutgoing(socket: Socket, listener: AnyListener): void {
  (socket as unknown as { _anyOutgoingListeners?: AnyListener[] })._anyOutgoingListeners = [listener];
  if (socket.listenersAnyOutgoing()[0] !== listener) socket.onAnyOutgoing(listener);
}
