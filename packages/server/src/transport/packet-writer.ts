import type { Socket } from 'socket.io';

/**
 * Writes Socket.IO packets for the default namespace to a socket's
 * connection, encoded once by `JSON.stringify`, for payloads that are JSON
 * by construction (Switchboard sends no binary). The bytes are the ones
 * Socket.IO's `emit` and acks write; what is left out is the work around
 * them: the packet object, the parser's search for binary attachments,
 * and, on a WebSocket with nothing held back, Engine.IO's packet object,
 * write buffer and the five events it emits per write. That work was a
 * fifth of a node's CPU per relayed message on either engine
 * (docs/performance.md, "What changed").
 */

/**
 * What Engine.IO keeps of a connection that the write reads, past its
 * typings. test/integration/signaling-lane.test.ts fails if the write stops
 * going straight to the WebSocket where it should.
 */
interface EngineConnection {
  readyState: string;
  writeBuffer?: readonly unknown[];
  transport?: {
    name?: string;
    writable?: boolean;
    opts?: { perMessageDeflate?: unknown };
    socket?: EngineWebSocket;
  };
  write(packet: string): void;
}

/** uWebSockets.js' WebSocket has `getBufferedAmount()`, `ws`'s a `bufferedAmount`. */
type EngineWebSocket =
  | { getBufferedAmount: () => number; send(message: string, isBinary: boolean, compress: boolean): number }
  | { bufferedAmount: number; send(message: string): void };

/**
 * The connection's WebSocket when a packet may be written to it now:
 * Engine.IO holds nothing back that it would overtake, and writes
 * uncompressed, as this does. Either engine then queues what the device
 * has not read, where the backpressure limit sees it (uWebSockets.js' own,
 * `http/slow-reader-guard.ts` for `ws`).
 */
function directSocket(conn: EngineConnection): EngineWebSocket | undefined {
  const { writeBuffer, transport } = conn;
  if (
    writeBuffer?.length !== 0 ||
    transport?.writable !== true ||
    transport.name !== 'websocket' ||
    transport.opts?.perMessageDeflate
  ) {
    return undefined;
  }
  const ws = transport.socket as Partial<Record<'getBufferedAmount' | 'bufferedAmount', unknown>> | undefined;
  const known = typeof ws?.getBufferedAmount === 'function' || typeof ws?.bufferedAmount === 'number';
  return known ? transport.socket : undefined;
}

/** Whether a packet written to `socket` now would go straight to its WebSocket. */
export function writesDirectly(socket: Socket): boolean {
  return directSocket(socket.conn as unknown as EngineConnection) !== undefined;
}

/** One encoded packet (Engine.IO's message payload), as Socket.IO's client writes it. */
function writePacket(socket: Socket, packet: string): void {
  const conn = socket.conn as unknown as EngineConnection;
  // As Socket.IO's client: a connection on its way out is written nothing.
  if (conn.readyState !== 'open') return;
  const ws = directSocket(conn);
  if (ws === undefined) conn.write(packet);
  else if ('getBufferedAmount' in ws) ws.send(`4${packet}`, false, false);
  else ws.send(`4${packet}`);
}

/** `socket.emit(event, payload)`, outgoing listeners included. */
export function emitEvent(socket: Socket, event: string, payload: unknown): void {
  for (const listener of socket.listenersAnyOutgoing()) listener.call(socket, event, payload);
  writePacket(socket, `2${JSON.stringify([event, payload])}`);
}

/** The ack Socket.IO gives a listener for packet `id`: answers once, the first time it is called. */
export function ackFor(socket: Socket, id: number): (answer: unknown) => void {
  let sent = false;
  return (answer) => {
    if (sent) return;
    sent = true;
    writePacket(socket, `3${id}${JSON.stringify([answer])}`);
  };
}
