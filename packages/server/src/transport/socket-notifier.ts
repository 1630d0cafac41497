import type { ClientToServerEvents, ServerToClientEvents } from '@switchboard/protocol';
import type { Server } from 'socket.io';
import type { Audience, Notifier } from '../domain/notifier.js';
import { deviceRoom, presenceRoom, userRoom } from './rooms.js';

export type IoServer = Server<ClientToServerEvents, ServerToClientEvents>;

/** The domain's Notifier over Socket.IO rooms; the adapter carries emits to other nodes. */
export class SocketNotifier implements Notifier {
  constructor(private readonly io: IoServer) {}

  emit<E extends keyof ServerToClientEvents>(
    to: Audience,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void {
    const rooms: string[] = [];
    for (const d of to.devices ?? []) rooms.push(deviceRoom(d));
    for (const u of to.users ?? []) rooms.push(userRoom(u));
    if (to.presenceSubscribersOf !== undefined) rooms.push(presenceRoom(to.presenceSubscribersOf));
    if (rooms.length === 0) return;
    let op = this.io.to(rooms);
    if (to.except) op = op.except(deviceRoom(to.except));
    op.emit(event, ...args);
  }

  disconnectSocket(socketId: string): void {
    this.io.in(socketId).disconnectSockets(true);
  }
}
