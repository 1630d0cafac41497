import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../packages/server/src/store/redis/redis-store.js';
import type { NodeProcess } from '../support/cluster.js';
import { redisServerAvailable } from '../support/redis-server.js';
import { closeAll, connect, uniqueUser } from '../support/test-client.js';
import { type Env, startEnv, waitFor } from './helpers.js';

const SWEPT = 'the cluster swept this node as dead; registering its devices again';
const saysSwept = (node: NodeProcess) => node.logs.some((l) => l.msg === SWEPT && l.level === 40);

// A node whose liveness refreshes ran late (a stalled event loop) is swept by
// the others while its Redis connection stays up. Nothing else tells an
// operator: the node must say so, and take its devices back.
describe.skipIf(!redisServerAvailable)('a node the cluster took for dead while it was connected', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(2);
  });
  afterAll(() => env?.close());

  it('warns once it notices, and registers its devices again', async () => {
    const [n1, n2] = env.nodes;
    const alice = await connect(n1!.url, uniqueUser('alice'));
    const store = createRedisStore({ url: env.redis.url });
    try {
      await store.ready();
      // What a sweep leaves of node 1's liveness (its devices are left to the check below).
      await store.removeNode('node-1');
      await waitFor('node 1 to say it was swept', () => saysSwept(n1!));
      expect((await store.listDevices(alice.userId)).map((d) => d.socketId)).toEqual([alice.socket.id]);
    } finally {
      await store.close();
    }
    // Neither node says so at its first start, when it is unknown too.
    expect(saysSwept(n2!)).toBe(false);
    closeAll(alice);
  });
});
