import { PeerServer } from 'peer';

/**
 * Baseline: PeerJS server (the `peer` package) with its defaults except the
 * limits a load test would trip: no cap on concurrent clients, and a long
 * liveness timeout so idle bench clients are not dropped.
 */

PeerServer({
  port: Number(process.env.PORT ?? 9000),
  host: '127.0.0.1',
  path: '/',
  key: 'peerjs',
  concurrent_limit: 1_000_000,
  alive_timeout: 600_000,
  expire_timeout: 5000,
});
process.on('SIGTERM', () => process.exit(0));
