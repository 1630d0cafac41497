import type { DeviceRef } from '@switchboard/protocol';
import type { Socket } from 'socket.io';
import type { DeviceService, DeviceSession } from '../domain/device-service.js';
import { deviceRoom } from './rooms.js';

/**
 * All a node keeps of its own for a connected device, as the socket's
 * `data`: one object, reached from the socket, so that the listeners every
 * socket needs can be shared functions rather than closures per socket (an
 * idle device is mostly this bookkeeping).
 */
export interface DeviceContext {
  /** The device as the domain sees it; this exact object becomes `from`/`by`, so it holds nothing else. */
  readonly device: DeviceRef;
  /** The device's room, whose name is also the key of its per-device rate limits. */
  readonly room: string;
  readonly socket: Socket;
  /** When the store last had the device's liveness refreshed by this socket (ms). */
  lastTouch: number;
  /**
   * Where this socket's registration stands. Once it is `done`, another
   * socket holding the device in the store means this one was replaced.
   */
  registration: 'pending' | 'done' | 'failed';
}

/** Makes the socket's context once the handshake named its device. */
export function bindDevice(socket: Socket, userId: string, deviceId: string): DeviceContext {
  const device: DeviceRef = { userId, deviceId };
  const context: DeviceContext = {
    device,
    room: deviceRoom(device),
    socket,
    lastTouch: Date.now(),
    registration: 'pending',
  };
  socket.data = context;
  return context;
}

export function contextOf(socket: Socket): DeviceContext {
  return socket.data as DeviceContext;
}

/** The socket as the device registry knows it. Made when needed: most sockets are idle and never need one. */
export function sessionOf(socket: Socket): DeviceSession {
  const { userId, deviceId } = contextOf(socket).device;
  return { userId, deviceId, socketId: socket.id };
}

/** Refreshes the device's liveness through this socket; false when the socket was closed as replaced. */
export async function refreshLiveness(devices: Pick<DeviceService, 'touch'>, context: DeviceContext): Promise<boolean> {
  const { socket } = context;
  const live = await devices.touch(sessionOf(socket), context.registration === 'done', socket.handshake.issued);
  if (live) context.registration = 'done';
  return live;
}
