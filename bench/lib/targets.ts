import { type ServerProcess, startServerProcess, TS_NODE_ARGS } from './procs.js';
import { startRedis } from './redis.js';
import { BENCH_SECRET } from './tokens.js';

/** The systems under test: Switchboard (1-3 nodes, memory or Redis) and the baselines, each freshly started. */

export type ClientKind = 'switchboard' | 'sio' | 'peerjs';

export interface Deployment {
  kind: ClientKind;
  /** One URL per node; generators spread clients over them. */
  urls: string[];
  /** Every server process, Redis included, by name (for CPU/RSS). */
  procs: ServerProcess[];
  stop(): Promise<void>;
}

export interface Target {
  name: string;
  kind: ClientKind;
  nodes: number;
  redis: boolean;
  start(): Promise<Deployment>;
}

export interface RunOptions {
  /** Run the built server (`packages/server/dist/main.js`) instead of the sources through tsx. */
  dist: boolean;
  /** Extra node flags for every server process but Redis (e.g. --cpu-prof), baselines included. */
  nodeFlags: string[];
  /** Only targets whose name contains this (for profiling one system). */
  targetFilter?: string;
  /** Switchboard's WebSocket engine (`WS_ENGINE`): the bench runs it on uWebSockets.js unless told `--engine=ws`. */
  engine: 'uws' | 'ws';
  /** A command every Node server process runs under (e.g. valgrind), given the process's name; Redis runs bare. */
  wrap?: (name: string) => string[];
}

export const selected = (t: Target) => !runOptions.targetFilter || t.name.includes(runOptions.targetFilter);

export const runOptions: RunOptions = { dist: false, nodeFlags: [], engine: 'uws' };

/** Reads `--engine=uws|ws` from the command line. */
export function engineFromArgs(args: readonly string[]): void {
  const engine = args.find((a) => a.startsWith('--engine='))?.slice(9);
  if (engine === undefined) return;
  if (engine !== 'uws' && engine !== 'ws') throw new Error(`--engine=${engine}: uws or ws`);
  runOptions.engine = engine;
}

const SWITCHBOARD_ENV: Record<string, string> = {
  JWT_SECRET: BENCH_SECRET,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  // Limits stay on, as in production, so their cost is measured; set far
  // above what the generators send so that none refuses anything.
  RATE_LIMIT_INVITES_PER_MIN: '100000000',
  RATE_LIMIT_SIGNALING_PER_10S: '100000000',
  RATE_LIMIT_REQUESTS_PER_10S: '100000000',
  RATE_LIMIT_CONNECTIONS_PER_10S: '100000000',
  SHUTDOWN_TIMEOUT_MS: '3000',
};

async function withRedis(redis: boolean, nodes: (redisUrl?: string) => Promise<ServerProcess[]>) {
  const r = redis ? await startRedis() : undefined;
  try {
    const started = await nodes(r?.redisUrl);
    return r ? [...started, r] : started;
  } catch (err) {
    await r?.stop();
    throw err;
  }
}

/** Starts a Node server process, under {@link RunOptions.wrap} when one is set. */
function startNode(name: string, args: string[], env: Record<string, string>): Promise<ServerProcess> {
  const [command = process.execPath, ...prefix] = runOptions.wrap?.(name) ?? [];
  const argv = runOptions.wrap ? [...prefix, process.execPath, ...args] : args;
  return startServerProcess(name, command, () => argv, env, runOptions.wrap ? 300_000 : undefined);
}

function deployment(kind: ClientKind, procs: ServerProcess[]): Deployment {
  return {
    kind,
    urls: procs.filter((p) => p.name !== 'redis').map((p) => p.url),
    procs,
    // Nodes first, then Redis, so nodes do not log a lost Redis on the way out.
    stop: async () => {
      await Promise.all(procs.filter((p) => p.name !== 'redis').map((p) => p.stop()));
      await Promise.all(procs.filter((p) => p.name === 'redis').map((p) => p.stop()));
    },
  };
}

export function switchboard(nodes: number, redis: boolean, env: Record<string, string> = {}): Target {
  const store = redis ? 'redis' : 'memory';
  return {
    name: `switchboard ${nodes} node${nodes > 1 ? 's' : ''} ${store} ${runOptions.engine}`,
    kind: 'switchboard',
    nodes,
    redis,
    start: async () => {
      const main = runOptions.dist
        ? ['packages/server/dist/main.js']
        : [...TS_NODE_ARGS, 'packages/server/src/main.ts'];
      const procs = await withRedis(redis, (redisUrl) =>
        Promise.all(
          Array.from({ length: nodes }, (_, i) =>
            startNode(`sb-${i + 1}`, [...runOptions.nodeFlags, ...main], {
              ...SWITCHBOARD_ENV,
              NODE_ID: `sb-${i + 1}`,
              WS_ENGINE: runOptions.engine,
              ...(redisUrl && { REDIS_URL: redisUrl }),
              ...env,
            }),
          ),
        ),
      );
      return deployment('switchboard', procs);
    },
  };
}

/** The minimal Socket.IO relay; with `nodes` > 1, processes on the sharded Redis adapter. */
export function bareSocketIo(nodes: number, script = 'bench/baselines/sio-relay.ts'): Target {
  const redis = nodes > 1;
  return {
    name: redis ? `bare socket.io ${nodes} nodes sharded redis` : 'bare socket.io 1 node',
    kind: 'sio',
    nodes,
    redis,
    start: async () => {
      const procs = await withRedis(redis, (redisUrl) =>
        Promise.all(
          Array.from({ length: nodes }, (_, i) =>
            startNode(
              `sio-${i + 1}`,
              [...runOptions.nodeFlags, ...TS_NODE_ARGS, script],
              redisUrl ? { REDIS_URL: redisUrl } : {},
            ),
          ),
        ),
      );
      return deployment('sio', procs);
    },
  };
}

export function peerjs(): Target {
  return {
    name: 'peerjs server 1 node',
    kind: 'peerjs',
    nodes: 1,
    redis: false,
    start: async () => {
      const proc = await startNode(
        'peerjs',
        [...runOptions.nodeFlags, ...TS_NODE_ARGS, 'bench/baselines/peerjs-server.ts'],
        {},
      );
      return deployment('peerjs', [proc]);
    },
  };
}
