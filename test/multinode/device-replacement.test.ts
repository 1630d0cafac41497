import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../packages/server/src/store/redis/redis-store.js';
import { redisServerAvailable } from '../support/redis-server.js';
import { activeCall, closeAll, connect, settle, uniqueUser } from '../support/test-client.js';
import { type Env, EVENT_MS, RECONNECT_GRACE_MS, startEnv } from './helpers.js';

describe.skipIf(!redisServerAvailable)('same-device replacement across nodes', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(3);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('disconnects the old socket on node 1 when the device connects to node 2, with no presence change', async () => {
    const [n1, n2, n3] = env.nodes;
    const bob = uniqueUser('bob');
    const watcher = await connect(n3!.url, uniqueUser('watcher'));
    await watcher.request('presence_subscribe', { userIds: [bob] });
    const old = await connect(n1!.url, bob, { deviceId: 'x' });
    await watcher.next('presence', (p) => p.userId === bob && p.status === 'online', EVENT_MS);

    const gone = old.disconnected(EVENT_MS);
    const fresh = await connect(n2!.url, bob, { deviceId: 'x' });
    expect(await gone).toBe('io server disconnect');
    expect(fresh.socket.connected).toBe(true);
    await settle(500);
    expect(watcher.all('presence', (p) => p.userId === bob)).toHaveLength(1);
    const query = await watcher.request('presence_query', { userIds: [bob] });
    expect(query.presence[0]).toMatchObject({ status: 'online', inCall: false });
    // The new socket works: a heartbeat answers, and the old socket's late disconnect removed nothing.
    expect(await fresh.request('heartbeat', {})).toMatchObject({ ok: true });
    fresh.close();
    await watcher.next('presence', (p) => p.userId === bob && p.status === 'offline', EVENT_MS);
    closeAll(watcher);
  });

  it('a replacement on another node mid-call resumes the call, which goes on', async () => {
    const [n1, n2, n3] = env.nodes;
    const alice = await connect(n3!.url, uniqueUser('alice'), { deviceId: 'a' });
    const bobOld = await connect(n1!.url, uniqueUser('bob'), { deviceId: 'x' });
    const callId = await activeCall(alice, [bobOld]);

    const gone = bobOld.disconnected(EVENT_MS);
    const bobNew = await connect(n2!.url, bobOld.userId, { deviceId: 'x' });
    await gone;
    expect(await bobNew.next('call_resumed', (p) => p.callId === callId, EVENT_MS)).toEqual({
      callId,
      state: 'active',
      role: 'callee',
      peer: { userId: alice.userId, deviceId: 'a' },
    });
    expect(await bobNew.request('ice_candidate', { callId, candidate: { candidate: 'from-new' } })).toEqual({
      ok: true,
    });
    expect(await alice.next('ice_candidate', (p) => p.candidate?.candidate === 'from-new', EVENT_MS)).toMatchObject({
      from: { userId: bobOld.userId, deviceId: 'x' },
    });
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'to-new' } })).toEqual({ ok: true });
    await bobNew.next('ice_candidate', (p) => p.candidate?.candidate === 'to-new', EVENT_MS);

    // Past any grace the old socket could have started, the call is still on.
    await settle(RECONNECT_GRACE_MS + 1000);
    expect(alice.all('call_ended')).toHaveLength(0);
    expect(bobNew.all('call_ended')).toHaveLength(0);
    expect(await alice.request('call_end', { callId })).toEqual({ ok: true });
    expect(await bobNew.next('call_ended', (p) => p.callId === callId, EVENT_MS)).toMatchObject({ reason: 'hangup' });
    closeAll(alice, bobNew);
  });

  it('an old socket whose disconnect never arrived closes itself at its next pong, leaving the device to its replacement', async () => {
    const [n1, , n3] = env.nodes;
    const bob = uniqueUser('bob');
    const watcher = await connect(n3!.url, uniqueUser('watcher'));
    await watcher.request('presence_subscribe', { userIds: [bob] });
    const old = await connect(n1!.url, bob, { deviceId: 'x' });
    await watcher.next('presence', (p) => p.userId === bob && p.status === 'online', EVENT_MS);

    // What node 2 leaves in Redis when it registers a replacement and its
    // disconnect publish is lost: the device held by another socket, and
    // nothing sent to node 1.
    const store = createRedisStore({ url: env.redis.url });
    try {
      await store.ready();
      await store.registerDevice({
        userId: bob,
        deviceId: 'x',
        socketId: 'replacement',
        nodeId: 'node-2',
        now: Date.now(),
        ttlMs: 60_000,
      });
      // No heartbeat: Engine.IO's pings (every 1.5 s here) bring the refresh.
      expect(await old.disconnected(EVENT_MS)).toBe('io server disconnect');
      await settle(500);
      expect((await store.listDevices(bob)).map((d) => d.socketId)).toEqual(['replacement']);
      expect(watcher.all('presence', (p) => p.userId === bob)).toHaveLength(1);
    } finally {
      await store.close();
    }
    closeAll(watcher);
  });
});
