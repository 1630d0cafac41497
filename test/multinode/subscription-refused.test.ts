// A shard subscription Redis refuses on a live connection is asked for again,
// so a device whose room was refused still hears its events once Redis allows it.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import { closeAll, connect, ringingCall, uniqueUser } from '../support/test-client.js';
import { type Env, EVENT_MS, startEnv, waitFor } from './helpers.js';

describe.skipIf(!redisServerAvailable)('shard subscriptions refused by Redis', () => {
  let env: Env;
  let admin: Redis;
  beforeAll(async () => {
    env = await startEnv(2);
    admin = new Redis(env.redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await env?.close();
  });

  it('are asked for again until granted, and logged', async () => {
    const [n1, n2] = env.nodes;
    // No channel is allowed: Redis drops the subscriber connections and
    // refuses every SSUBSCRIBE (NOPERM) until channels are allowed again.
    await admin.call('ACL', 'SETUSER', 'default', 'resetchannels');
    let bob: Awaited<ReturnType<typeof connect>> | undefined;
    try {
      // Its rooms are asked for while refused; the session still comes, bounded.
      bob = await connect(n1!.url, uniqueUser('bob'), { deviceId: 'phone' });
      await waitFor('a refused subscription logged on the node', () =>
        n1!.logs.some((l) => l.msg === 'shard subscription refused; asking again until granted'),
      );
    } finally {
      await admin.call('ACL', 'SETUSER', 'default', 'allchannels');
    }
    await waitFor('the refused subscriptions granted', () =>
      n1!.logs.some((l) => l.msg === 'shard subscription granted after a refusal'),
    );

    // Bob's rooms are live again: a call from the other node rings him.
    const alice = await connect(n2!.url, uniqueUser('alice'), { deviceId: 'phone' });
    const { callId } = await ringingCall(alice, [bob!]);
    expect(callId).toEqual(expect.any(String));
    expect(await alice.request('call_cancel', { callId }, EVENT_MS)).toEqual({ ok: true });
    await bob!.next('call_ended', (p) => p.callId === callId, EVENT_MS);
    closeAll(alice, bob);
  });
});
