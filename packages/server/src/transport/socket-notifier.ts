import type { ClientToServerEvents, DeviceRef, ServerToClientEvents } from '@switchboard/protocol';
import type { Server } from 'socket.io';
import type { Audience, Notifier } from '../domain/notifier.js';
import { emitEvent } from './packet-writer.js';
import { deviceRoom, presenceRoom, userRoom } from './rooms.js';

export type IoServer = Server<ClientToServerEvents, ServerToClientEvents>;

/**
 * The domain's Notifier over Socket.IO rooms; the adapter carries emits to
 * other nodes. Each room is emitted to on its own: the sharded adapter
 * publishes a one-room emit on that room's channel, heard only by nodes
 * with a socket in it, while a several-room emit goes to every node. A
 * device whose user is also addressed is left out, so nobody gets an event
 * twice.
 */
export class SocketNotifier implements Notifier {
  constructor(
    /** `io`, or `io.local` for events meant for this node's sockets only (delivered at once, not after a publish). */
    private readonly io: Pick<IoServer, 'to' | 'in'> | IoServer['local'],
    /**
     * On a node with no other nodes: its namespace, whose sockets an event
     * for one device is written to directly, as one packet encoded once
     * (see packet-writer.ts). That is what the in-memory adapter's
     * broadcast ends up doing, minus the operator, the room sets and the
     * exclusion set it builds for every relayed message. With other
     * nodes the device may be on any of them (two, while one socket
     * replaces another), so the adapter publishes as usual.
     */
    private readonly soleNode?: ReturnType<IoServer['of']>,
  ) {}

  emit<E extends keyof ServerToClientEvents>(
    to: Audience,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void {
    const nsp = this.soleNode;
    const device = nsp && onlyDevice(to);
    if (nsp && device) {
      const sids = nsp.adapter.rooms.get(deviceRoom(device));
      if (sids) {
        for (const sid of sids) {
          const socket = nsp.sockets.get(sid);
          if (socket) emitEvent(socket, event, args[0]);
        }
      }
      return;
    }
    const rooms: string[] = [];
    for (const u of to.users ?? []) rooms.push(userRoom(u));
    for (const d of to.devices ?? []) if (!to.users?.includes(d.userId)) rooms.push(deviceRoom(d));
    if (to.presenceSubscribersOf !== undefined) rooms.push(presenceRoom(to.presenceSubscribersOf));
    const except = to.except && deviceRoom(to.except);
    for (const room of rooms) {
      if (room === except) continue;
      const op = except ? this.io.to(room).except(except) : this.io.to(room);
      op.emit(event, ...args);
    }
  }

  disconnectSocket(socketId: string): void {
    this.io.in(socketId).disconnectSockets(true);
  }
}

/** The one device an audience names, when it names nothing else. */
function onlyDevice(to: Audience): DeviceRef | undefined {
  if (to.users?.length || to.presenceSubscribersOf !== undefined || to.except || to.devices?.length !== 1) {
    return undefined;
  }
  return to.devices[0];
}
