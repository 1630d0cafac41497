import { type Cluster, type NodeProcess, startCluster } from '../support/cluster.js';
import { type RedisServerHandle, startRedisServer } from '../support/redis-server.js';
import { sleep } from '../support/test-client.js';

/** The cluster helper's default timings, which the deadlines below are computed from. */
export const NODE_TTL_MS = 1500;
export const RECONNECT_GRACE_MS = 1500;

/** Generous wait for an event that must arrive (2 cores, several node processes). */
export const EVENT_MS = 8000;

export interface Env {
  redis: RedisServerHandle;
  cluster: Cluster;
  nodes: NodeProcess[];
  close(): Promise<void>;
}

/** A private redis-server and `count` node processes on it. */
export async function startEnv(count = 3, env: Record<string, string> = {}): Promise<Env> {
  const redis = await startRedisServer();
  let cluster: Cluster;
  try {
    cluster = await startCluster(count, { REDIS_URL: redis.url, ...env });
  } catch (err) {
    await redis.stop();
    throw err;
  }
  return {
    redis,
    cluster,
    nodes: cluster.nodes,
    close: async () => {
      await cluster.close();
      await redis.stop();
    },
  };
}

/** Polls until `check` returns a truthy value; rejects after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = EVENT_MS,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await sleep(everyMs);
  }
}

/** HTTP status of `GET <node url><path>`, or 0 when the node does not answer. */
export async function httpStatus(url: string, path: string): Promise<number> {
  try {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** A presence event of `userId` matching `status` (and `inCall` when given). */
export function presenceOf(userId: string, status: 'online' | 'offline', inCall?: boolean) {
  return (p: { userId: string; status: string; inCall: boolean }) =>
    p.userId === userId && p.status === status && (inCall === undefined || p.inCall === inCall);
}

/** Milliseconds since `start`. */
export const since = (start: number) => Date.now() - start;
