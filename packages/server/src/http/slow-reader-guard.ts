import type { Server } from 'socket.io';

/**
 * Bytes a connection may have waiting to be sent. Past it the connection is
 * closed rather than held (or, on uWebSockets.js, sent less than it was
 * told): the device reconnects and is told what it missed.
 */
export const MAX_BACKPRESSURE = 16 * 1024 * 1024;

/** How often the `ws` front looks for connections past {@link MAX_BACKPRESSURE}. */
export const SLOW_READER_CHECK_MS = 1000;

/**
 * What Engine.IO keeps of a connection, past its typings: the packets it
 * holds while the transport is not writable, and for `ws` the WebSocket,
 * whose `bufferedAmount` counts what Node's socket has not yet handed to
 * the kernel. test/integration/ws-engine.test.ts fails if either moves.
 */
interface EngineConnection {
  writeBuffer?: ReadonlyArray<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: unknown; terminate?: () => void } };
  close(discard?: boolean): void;
}

function waitingBytes(conn: EngineConnection): number {
  let bytes = 0;
  // Strings count by length: exact for ASCII signaling, short of the truth otherwise.
  for (const packet of conn.writeBuffer ?? []) {
    const { data } = packet;
    if (typeof data === 'string') bytes += data.length;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) bytes += data.byteLength;
  }
  const buffered = conn.transport?.socket?.bufferedAmount;
  return typeof buffered === 'number' ? bytes + buffered : bytes;
}

/**
 * `ws` queues whatever is sent to a device that stopped reading (past the
 * kernel's buffers, in Node's socket, then in Engine.IO once the socket
 * stops taking more) until the ping timeout closes the connection, up to
 * 45 s later, with only the rate limits to bound it, and Engine.IO does
 * the same for a long-polling device that stops polling, on either engine.
 * uWebSockets.js closes a WebSocket at {@link MAX_BACKPRESSURE} itself;
 * this does the same for the rest, checking every connection once a second
 * (a few property reads each: at 18,000 idle connections, 0.6 % of the
 * node's busy time on either engine), so a slow reader holds at most the
 * limit plus one second of what it is sent in the node's memory.
 */
export function guardSlowReaders(io: Server, maxBytes = MAX_BACKPRESSURE, everyMs = SLOW_READER_CHECK_MS): () => void {
  const timer = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      const conn = socket.conn as unknown as EngineConnection;
      if (waitingBytes(conn) <= maxBytes) continue;
      const ws = conn.transport?.socket;
      // Closed as the server closing it ('forced close'), discarding what
      // waits. A close frame would wait behind everything queued, so the
      // TCP connection is dropped too, as uWebSockets.js does.
      conn.close(true);
      if (typeof ws?.terminate === 'function') ws.terminate();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
