import { type SignalingEventName, signalingEvents } from '@switchboard/protocol';
import type { Socket } from 'socket.io';
import { ackFor } from './packet-writer.js';

/**
 * Reads a device's signaling requests (SDPs and ICE candidates, nearly all
 * of a call's traffic) off its Engine.IO connection, ahead of Socket.IO's
 * client. Socket.IO reads each through its parser (packet object, a
 * namespace lookup), then its socket (an event array, an ack closure, the
 * middleware chain and two `process.nextTick` hops); here a request that
 * is plainly an event of the default namespace is parsed once and handed
 * to the router, on the same next tick as Socket.IO's first hop, so
 * requests are still handled in the order they came. Anything else, and
 * anything this cannot read, goes to Socket.IO's client as before, which
 * also words the errors and closes a connection that breaks the protocol.
 * (One leniency: a text packet inside a binary one's attachments, which
 * Socket.IO refuses, is read here if it is a signaling request.)
 */

export type AckFn = (answer: unknown) => void;
export type SignalingRequest = (
  socket: Socket,
  event: SignalingEventName,
  payload: unknown,
  ack: AckFn | undefined,
) => void;

const SOCKET = Symbol('signaling lane socket');

/** Socket.IO's client reads the connection through its `ondata`, the connection's `data` listener. */
interface SocketIoClient {
  ondata?: (data: unknown) => void;
}

interface LaneConnection {
  [SOCKET]?: Socket;
  listeners(event: 'data'): unknown[];
  on(event: 'data', listener: (this: LaneConnection, data: unknown) => void): void;
  off(event: 'data', listener: (data: unknown) => void): void;
}

const clientOf = (socket: Socket) => (socket as unknown as { client?: SocketIoClient }).client;

/** `["sdp_offer",` and so on: what a signaling event's arguments start with. */
const heads = signalingEvents.map((event) => ({ event, head: `[${JSON.stringify(event)},` }));

const EVENT = 50; // '2', Socket.IO's EVENT packet
const DIGIT_0 = 48;
const DIGIT_9 = 57;

export class SignalingLane {
  constructor(private readonly onRequest: SignalingRequest) {}

  /**
   * Puts the lane in front of Socket.IO's client on this socket's
   * connection. False, and Socket.IO reads everything, if its client does
   * not read the connection as this expects (a Socket.IO release that
   * changed it: test/integration/signaling-lane.test.ts then fails).
   */
  open(socket: Socket): boolean {
    const conn = socket.conn as unknown as LaneConnection;
    // A client may leave the namespace and join it again on one connection:
    // the lane, already in front, reads for the new socket.
    if (conn.listeners('data').includes(this.read)) {
      conn[SOCKET] = socket;
      return true;
    }
    const decode = clientOf(socket)?.ondata;
    if (typeof decode !== 'function' || !conn.listeners('data').includes(decode)) return false;
    conn[SOCKET] = socket;
    conn.off('data', decode);
    conn.on('data', this.read);
    return true;
  }

  /** One listener for every connection (Engine.IO calls it with the connection as `this`). */
  private readonly read = (() => {
    const lane = this;
    return function read(this: LaneConnection, data: unknown): void {
      const socket = this[SOCKET] as Socket;
      if (typeof data !== 'string' || !lane.take(socket, data)) clientOf(socket)?.ondata?.(data);
    };
  })();

  /** Handles `packet` if it is a signaling request in the shape clients send; false leaves it to Socket.IO. */
  private take(socket: Socket, packet: string): boolean {
    // Once the socket left, Socket.IO closes a connection that still sends to it.
    if (packet.charCodeAt(0) !== EVENT || !socket.connected) return false;
    let i = 1;
    for (let c = packet.charCodeAt(i); c >= DIGIT_0 && c <= DIGIT_9; c = packet.charCodeAt(++i));
    let event: SignalingEventName | undefined;
    for (const head of heads) {
      if (packet.startsWith(head.head, i)) {
        event = head.event;
        break;
      }
    }
    if (event === undefined) return false;
    let args: unknown;
    try {
      args = JSON.parse(packet.slice(i));
    } catch {
      return false;
    }
    // Another number of arguments is the router's to refuse, through Socket.IO.
    if (!Array.isArray(args) || args.length !== 2) return false;
    const ack = i > 1 ? ackFor(socket, Number(packet.slice(1, i))) : undefined;
    process.nextTick(deliver, this.onRequest, socket, event, args[1], ack);
    return true;
  }
}

function deliver(
  onRequest: SignalingRequest,
  socket: Socket,
  event: SignalingEventName,
  payload: unknown,
  ack: AckFn | undefined,
): void {
  // As Socket.IO: nothing that arrived is handled once the socket left.
  if (socket.connected) onRequest(socket, event, payload, ack);
}
