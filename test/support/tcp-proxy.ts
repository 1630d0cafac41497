import { once } from 'node:events';
import net from 'node:net';

/**
 * A TCP proxy a test controls, to partition one process from a server (a
 * node from Redis) without touching anyone else's connections.
 */
export interface TcpProxy {
  readonly port: number;
  /** `redis://127.0.0.1:<proxy port>` (or another scheme): the target as seen through the proxy. */
  url(scheme?: string): string;
  /** Destroys every connection and closes new ones at once, until `restore()`. */
  cut(): void;
  restore(): void;
  /** How many client connections are open through the proxy now. */
  readonly openConnections: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let isCut = false;

  const server = net.createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ port: targetPort, host: targetHost });
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port for the proxy');
  const port = address.port;

  const destroyAll = () => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  return {
    port,
    url: (scheme = 'redis') => `${scheme}://127.0.0.1:${port}`,
    cut() {
      isCut = true;
      destroyAll();
    },
    restore() {
      isCut = false;
    },
    get openConnections() {
      return pairs.size;
    },
    async close() {
      isCut = true;
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
