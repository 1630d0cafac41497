import uws from '@trufflesuite/uws-js-unofficial';
import { Server } from 'socket.io';
import { Adapter } from 'socket.io-adapter';
import { relayBare } from './bare-relay.js';

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

relayBare(io);

app.listen('127.0.0.1', port, () => {});
process.on('SIGTERM', () => process.exit(0));
