import type { DeviceRef, ServerToClientEvents } from '@switchboard/protocol';

/**
 * Who receives an event. Sockets in several of the named groups receive it
 * once; `except` removes one device (the one whose request caused the event
 * and already has its ack).
 */
export interface Audience {
  devices?: readonly DeviceRef[];
  users?: readonly string[];
  presenceSubscribersOf?: string;
  except?: DeviceRef;
}

/**
 * How the domain reaches devices, wherever they are connected. The
 * Socket.IO implementation maps audiences to rooms, which the Redis adapter
 * routes between nodes.
 */
export interface Notifier {
  emit<E extends keyof ServerToClientEvents>(
    to: Audience,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void;
  /** Closes a socket by id on whichever node holds it (device replacement). */
  disconnectSocket(socketId: string): void;
}
