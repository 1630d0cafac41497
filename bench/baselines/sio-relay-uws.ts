import { Server } from 'socket.io';
import { uwsFront } from '../../packages/server/src/http/uws-front.js';
import { relayBare } from './bare-relay.js';

/**
 * Not one of the baselines, a reference for `bench/cost.ts relay1
 * bare-uws`: the bare relay of `sio-relay.ts` on uWebSockets.js, through
 * Switchboard's own front (`http/uws-front.ts`), so that what Switchboard
 * adds on that engine can be read off. One node only.
 */

const port = Number(process.env.PORT ?? 0);
const io = new Server({ transports: ['websocket'], serveClient: false });
const front = uwsFront(async () => ({ status: 404, headers: {}, body: '' }));
front.attach(io);
relayBare(io);
await front.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
