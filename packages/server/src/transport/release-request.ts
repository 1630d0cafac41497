import type { IncomingMessage } from 'node:http';
import type { Server, Socket } from 'socket.io';

/**
 * Engine.IO keeps the HTTP upgrade request for a WebSocket's whole life:
 * the Engine.IO socket points to it, and so does the response stand-in it
 * makes for upgrades, through a listener on the TCP socket's close. With its
 * headers, raw headers and stream state that is over a kilobyte on every
 * connected device, for a request nothing reads after the handshake. These
 * two let it go once the device is known.
 */

type UpgradeResponse = { req: IncomingMessage | null };

const responses = new WeakMap<IncomingMessage, UpgradeResponse>();
const NOTHING = Object.freeze({});

/** Notes the response that goes with each upgrade request, through Engine.IO's own middleware hook. */
export function noteUpgradeResponses(io: Server): void {
  io.engine.use((req: IncomingMessage, res: unknown, next: () => void) => {
    // An upgrade gets Engine.IO's stand-in; a long-polling request a real
    // ServerResponse, which is still being answered and is left alone.
    if (req.headers.upgrade?.toLowerCase() === 'websocket') responses.set(req, res as UpgradeResponse);
    next();
  });
}

/** Drops the socket's references to its handshake request; past the handshake, nothing reads it. */
export function releaseRequest(socket: Socket): void {
  const conn = socket.conn as unknown as { request: IncomingMessage | null };
  const req = conn.request;
  if (!req) return;
  const res = responses.get(req);
  if (res) {
    res.req = null;
    responses.delete(req);
  }
  conn.request = null;
  // The handshake's headers and query are the request's own objects, and
  // its url and time strings are read by nothing here.
  socket.handshake.headers = NOTHING;
  socket.handshake.query = NOTHING;
  socket.handshake.url = '';
  socket.handshake.time = '';
}
