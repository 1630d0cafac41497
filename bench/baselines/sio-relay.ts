import { createServer } from 'node:http';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { relayBare } from './bare-relay.js';

/**
 * Baseline: a minimal Socket.IO 4.8 relay that validates nothing. A client
 * joins the room named by its `auth.id`; `relay` forwards the payload as is
 * to the room in `payload.to` and acks. With REDIS_URL it uses the same
 * sharded Redis adapter (dynamic subscriptions) as Switchboard, so two
 * processes make the cross-node baseline.
 */

const port = Number(process.env.PORT ?? 0);
const http = createServer((_req, res) => {
  res.writeHead(200);
  res.end('ok');
});
const io = new Server(http, { transports: ['websocket'], serveClient: false });

if (process.env.REDIS_URL) {
  const pub = new Redis(process.env.REDIS_URL);
  const sub = pub.duplicate();
  io.adapter(createShardedAdapter(pub, sub, { subscriptionMode: 'dynamic', channelPrefix: 'bench:io' }));
}

relayBare(io);

http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
