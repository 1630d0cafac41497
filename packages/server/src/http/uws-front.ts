import { STATUS_CODES } from 'node:http';
import type { HttpResponse, us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import { Adapter } from 'socket.io-adapter';
import type { Front } from './front.js';
import type { HttpRoutes } from './http-routes.js';
import { MAX_BACKPRESSURE } from './slow-reader-guard.js';
import { loadUws } from './uws-binary.js';

/** Bodies are cut off past this, whatever a route allows (the routes read at most 4 KiB). */
const MAX_BODY_BUFFERED = 64 * 1024;

/**
 * Collects a request's body from the start, as uWebSockets.js hands it over
 * only once; `aborted` settles a read of a request the client gave up on.
 */
function bodyOf(res: HttpResponse) {
  const chunks: Buffer[] = [];
  let size = 0;
  let settle: (body: Buffer | undefined) => void = () => {};
  const whole = new Promise<Buffer | undefined>((resolve) => {
    settle = resolve;
  });
  res.onData((chunk, isLast) => {
    size += chunk.byteLength;
    // The chunk is neutered once this returns: copy it.
    if (size <= MAX_BODY_BUFFERED) chunks.push(Buffer.from(chunk.slice(0)));
    if (isLast) settle(size <= MAX_BODY_BUFFERED ? Buffer.concat(chunks) : undefined);
  });
  return {
    read: async (maxBytes: number) => {
      const body = await whole;
      return body && body.length <= maxBytes ? body.toString('utf8') : undefined;
    },
    aborted: () => settle(undefined),
  };
}

/**
 * uWebSockets.js (`WS_ENGINE=uws`): its WebSocket and HTTP code is native,
 * so a relayed message costs a node much less than through `ws`.
 */
export function uwsFront(routes: HttpRoutes): Front {
  const uws = loadUws();
  const app = uws.App();
  let listening: us_listen_socket | undefined;
  return {
    attach: (io) => {
      // Engine.IO does not pass this option through, and without it a slow
      // receiver's messages past 64 KiB would be dropped silently rather
      // than its connection closed.
      const ws = app.ws.bind(app);
      app.ws = (pattern, behavior) =>
        ws(pattern, { ...behavior, maxBackpressure: MAX_BACKPRESSURE, closeOnBackpressureLimit: 1 });
      // Socket.IO also replaces broadcasts with uWebSockets.js' publish,
      // which writes to the sockets behind Socket.IO's back: the call tracker
      // would not see what each device was told, and a publish could pass a
      // message sent to the socket just before it. Broadcasts stay Socket.IO's.
      const { addAll, del, broadcast } = Adapter.prototype;
      io.attachApp(app);
      Object.assign(Adapter.prototype, { addAll, del, broadcast });
      app.any('/*', (res, req) => {
        // Read now: the request object is only valid until this returns.
        const method = req.getMethod().toUpperCase();
        const path = req.getUrl();
        const body = method === 'GET' || method === 'HEAD' ? undefined : bodyOf(res);
        let aborted = false;
        res.onAborted(() => {
          aborted = true;
          body?.aborted();
        });
        // As on Node's front: only writing the answer can fail.
        routes({ method, path, body: body?.read ?? (async () => '') })
          .then((reply) => {
            if (aborted) return;
            res.cork(() => {
              res.writeStatus(`${reply.status} ${STATUS_CODES[reply.status] ?? ''}`);
              for (const [name, value] of Object.entries(reply.headers)) res.writeHeader(name, value);
              res.end(reply.body);
            });
          })
          .catch(() => {
            if (!aborted) res.close();
          });
      });
    },
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        app.listen(host ?? '0.0.0.0', port, (socket) => {
          if (!socket) return reject(new Error(`uWebSockets.js could not listen on ${host ?? '0.0.0.0'}:${port}`));
          listening = socket;
          resolve({ address: host ?? '0.0.0.0', family: 'IPv4', port: uws.us_socket_local_port(socket) });
        });
      }),
    stopListening: () => {
      if (listening) uws.us_listen_socket_close(listening);
      listening = undefined;
    },
    // This uWebSockets.js has no way to close an app's other connections;
    // Engine.IO has closed the WebSockets, and an idle HTTP one times out.
    dropConnections: () => {},
  };
}
