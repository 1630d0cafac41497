import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Front } from './front.js';
import type { HttpRoutes } from './http-routes.js';

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Node's HTTP server, with Socket.IO on `ws`. */
export function nodeFront(routes: HttpRoutes): Front {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] || '/';
    // The routes answer every request (500 on their own faults); what can
    // still fail is writing the answer, and that must not go unhandled.
    routes({ method: req.method ?? 'GET', path, body: (maxBytes) => readBody(req, maxBytes) })
      .then((reply) => {
        res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
        res.end(reply.body);
      })
      .catch(() => res.destroy());
  });
  return {
    attach: (io) => io.attach(server),
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      }),
    // Socket.IO closes the server it is attached to.
    stopListening: () => {},
    dropConnections: () => server.closeAllConnections(),
  };
}
