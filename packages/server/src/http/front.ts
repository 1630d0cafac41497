import type { AddressInfo } from 'node:net';
import type { Server } from 'socket.io';

/**
 * What takes the node's connections on its one port: Node's HTTP server with
 * `ws` (the default) or uWebSockets.js (`WS_ENGINE=uws`). Socket.IO and the
 * plain HTTP routes are the same on both.
 */
export interface Front {
  /** Binds Socket.IO to this front's connections. */
  attach(io: Server): void;
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops taking connections (once Socket.IO has closed its own). */
  stopListening(): void;
  /** Drops the connections still open, such as a scrape that holds the close up. */
  dropConnections(): void;
}
