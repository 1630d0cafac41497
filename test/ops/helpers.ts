import { once } from 'node:events';
import net from 'node:net';
import { io } from 'socket.io-client';
import { type ClientSocket, TestClient } from '../support/test-client.js';
import { tokenFor } from '../support/tokens.js';

/** One Prometheus sample: metric name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (the subset prom-client writes). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** `GET /metrics` of a node, parsed. */
export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

/** The sum of every sample of `name` whose labels include `labels` (0 when none). */
export function metricValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * A TCP load balancer in front of a set of nodes, as a test's stand-in for a
 * real one: round-robin over the backends whose `/readyz` answered 200 at
 * the last check (every 100 ms), trying the next when a connection to one
 * fails. Clients keep one URL and reconnect through it by themselves.
 */
export interface LoadBalancer {
  readonly url: string;
  /** Replaces the backends (node base URLs). */
  setBackends(urls: string[]): void;
  /** Number of connections each backend received. */
  readonly connections: Map<string, number>;
  close(): Promise<void>;
}

export async function startLoadBalancer(initial: string[]): Promise<LoadBalancer> {
  let backends = [...initial];
  const ready = new Map<string, boolean>(backends.map((b) => [b, true]));
  const connections = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  let next = 0;
  let closed = false;

  const check = async () => {
    await Promise.all(
      backends.map(async (b) => {
        try {
          const res = await fetch(`${b}/readyz`, { signal: AbortSignal.timeout(1000) });
          await res.arrayBuffer();
          ready.set(b, res.status === 200);
        } catch {
          ready.set(b, false);
        }
      }),
    );
  };
  const checker = setInterval(() => void check(), 100);

  const portOf = (b: string) => Number(new URL(b).port);
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const candidates = backends.filter((b) => ready.get(b) !== false);
    const order = (candidates.length > 0 ? candidates : backends).slice();
    const start = next++ % Math.max(1, order.length);
    const tryAt = (i: number) => {
      if (i >= order.length || closed || client.destroyed) {
        client.destroy();
        return;
      }
      const backend = order[(start + i) % order.length]!;
      const upstream = net.connect({ port: portOf(backend), host: '127.0.0.1' });
      sockets.add(upstream);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        connections.set(backend, (connections.get(backend) ?? 0) + 1);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (!connected) {
          ready.set(backend, false);
          tryAt(i + 1);
        } else client.destroy();
      });
      upstream.on('close', () => {
        sockets.delete(upstream);
        if (connected) client.destroy();
      });
      client.on('close', () => upstream.destroy());
    };
    tryAt(0);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections,
    setBackends(urls) {
      backends = [...urls];
      for (const b of urls) if (!ready.has(b)) ready.set(b, true);
    },
    async close() {
      closed = true;
      clearInterval(checker);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A plain socket.io-client device with its own reconnection on (fast
 * delays), connected through `url`; resolves once the first `session`
 * arrived. Its `received` log spans every connection it makes.
 */
export async function reconnectingClient(url: string, userId: string, deviceId: string): Promise<TestClient> {
  const token = await tokenFor(userId);
  const socket: ClientSocket = io(url, {
    auth: { token, deviceId },
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    randomizationFactor: 0.5,
    timeout: 5000,
    forceNew: true,
  });
  const client = new TestClient(socket, userId, deviceId);
  await client.next('session', () => true, 10_000);
  return client;
}

/** How many `session` events a client got: one per (re)connection. */
export const sessions = (c: TestClient) => c.all('session').length;

/**
 * Every non-empty live-call set (`<prefix>:{s}:user-calls:<userId>`) in a
 * Redis, as userId → callIds: the concurrency guard, which must be empty for
 * everyone once traffic stops and the ring timeout and grace have passed.
 */
export async function liveCallSets(redisUrl: string, prefix = 'sb'): Promise<Record<string, string[]>> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const keyPrefix = `${prefix}:{s}:user-calls:`;
    const keys = await redis.keys(`${prefix}:{s}:user-calls:*`);
    const out: Record<string, string[]> = {};
    for (const key of keys) {
      const members = await redis.smembers(key);
      if (members.length > 0) out[key.slice(keyPrefix.length)] = members.sort();
    }
    return out;
  } finally {
    redis.disconnect();
  }
}
