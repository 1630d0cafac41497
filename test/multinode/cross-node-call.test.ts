import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../support/cluster.js';
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from '../support/redis-server.js';
import { connect, FAKE_SDP } from '../support/test-client.js';

describe.skipIf(!redisServerAvailable)('a call across three nodes', () => {
  let redis: RedisServerHandle;
  let cluster: Cluster;
  beforeAll(async () => {
    redis = await startRedisServer();
    cluster = await startCluster(3, { REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
  });

  it('rings the callee on two other nodes, connects one, relays both ways', async () => {
    const [n1, n2, n3] = cluster.nodes;
    const alice = await connect(n1!.url, 'alice', { deviceId: 'a1' });
    const bobPhone = await connect(n2!.url, 'bob', { deviceId: 'phone' });
    const bobLaptop = await connect(n3!.url, 'bob', { deviceId: 'laptop' });
    const presence = await alice.request('presence_subscribe', { userIds: ['bob'] });
    expect(presence.presence[0]).toMatchObject({ userId: 'bob', status: 'online', inCall: false });

    const invite = await alice.request('call_invite', { to: 'bob', media: 'video', sdp: FAKE_SDP });
    expect(invite.ok).toBe(true);
    const { callId } = invite;
    await bobPhone.next('call_incoming', (p) => p.callId === callId);
    await bobLaptop.next('call_incoming', (p) => p.callId === callId);
    await alice.next('presence', (p) => p.userId === 'bob' && p.inCall === true);

    expect(await bobLaptop.request('call_accept', { callId, sdp: 'answer' })).toEqual({ ok: true });
    expect(await alice.next('call_accepted')).toMatchObject({ callId, by: { userId: 'bob', deviceId: 'laptop' } });
    expect(await bobPhone.next('call_ended')).toMatchObject({ callId, reason: 'answered_elsewhere' });

    await alice.request('ice_candidate', { callId, candidate: { candidate: 'c1', sdpMid: '0' } });
    await bobLaptop.request('ice_candidate', { callId, candidate: { candidate: 'c2', sdpMid: '0' } });
    expect(await bobLaptop.next('ice_candidate')).toMatchObject({ callId, candidate: { candidate: 'c1' } });
    expect(await alice.next('ice_candidate')).toMatchObject({ callId, candidate: { candidate: 'c2' } });

    expect(await alice.request('call_end', { callId })).toEqual({ ok: true });
    expect(await bobLaptop.next('call_ended')).toMatchObject({ callId, reason: 'hangup' });
    await new Promise((r) => setTimeout(r, 200));
    expect(bobPhone.all('ice_candidate')).toHaveLength(0);
    expect(bobPhone.all('call_ended')).toHaveLength(1);
    for (const c of [alice, bobPhone, bobLaptop]) c.close();
  });
});
