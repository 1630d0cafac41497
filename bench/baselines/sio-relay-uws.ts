import uws from '@trufflesuite/uws-js-unofficial';
import { Server } from 'socket.io';
import { Adapter } from 'socket.io-adapter';

/**
 * Not one of the issue's baselines, a reference for `bench/cost.ts relay1
 * bare-uws`: the bare relay of `sio-relay.ts` on uWebSockets.js, attached
 * as Switchboard attaches it (Socket.IO's own broadcasts, not uWebSockets.js'
 * publish), so what Switchboard adds on that engine can be read off. One
 * node only.
 */

const port = Number(process.env.PORT ?? 0);
const app = uws.App();
const io = new Server({ transports: ['websocket'], serveClient: false });
const { addAll, del, broadcast } = Adapter.prototype;
io.attachApp(app);
Object.assign(Adapter.prototype, { addAll, del, broadcast });

io.on('connection', (socket) => {
  const id = socket.handshake.auth?.id;
  if (typeof id === 'string') socket.join(id);
  socket.on('relay', (msg: { to: string }, ack?: (res: unknown) => void) => {
    io.to(msg.to).emit('relay', msg);
    if (typeof ack === 'function') ack({ ok: true });
  });
});

app.listen('127.0.0.1', port, () => {});
process.on('SIGTERM', () => process.exit(0));
