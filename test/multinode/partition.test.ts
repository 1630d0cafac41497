import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_TIMINGS, type NodeProcess, startNodeProcess } from '../support/cluster.js';
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from '../support/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import {
  closeAll,
  connect,
  FAKE_SDP,
  ringingCall,
  settle,
  sleep,
  type TestClient,
  uniqueUser,
} from '../support/test-client.js';
import { EVENT_MS, httpStatus, presenceOf, since, waitFor } from './helpers.js';

// Longer liveness than the defaults, so a short cut leaves node 2 registered
// and a long one gets it swept.
const NODE_TTL_MS = 3000;
const TIMINGS = { ...FAST_TIMINGS, NODE_TTL_MS: String(NODE_TTL_MS), PRESENCE_TTL_MS: '8000' };
const SHORT_CUT_MS = 2000;
const LONG_CUT_MS = NODE_TTL_MS + 2500;

/** Events that would mean node 2 acted on a stale view. */
const STALE = ['call_incoming', 'call_accepted', 'call_resumed', 'ice_candidate', 'sdp_offer', 'sdp_answer'];

describe.skipIf(!redisServerAvailable)('node 2 partitioned from Redis through a TCP proxy', () => {
  let redis: RedisServerHandle;
  let proxy: TcpProxy;
  const nodes: NodeProcess[] = [];
  let n1: NodeProcess;
  let n2: NodeProcess;
  let n3: NodeProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(redis.port);
    const direct = { ...TIMINGS, REDIS_URL: redis.url };
    [n1, n2, n3] = await Promise.all([
      startNodeProcess('node-1', direct),
      startNodeProcess('node-2', { ...TIMINGS, REDIS_URL: proxy.url() }),
      startNodeProcess('node-3', direct),
    ]);
    nodes.push(n1, n2, n3);
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await proxy?.close();
    await redis?.stop();
  });

  const ready = (node: NodeProcess) =>
    waitFor(`${node.nodeId} ready`, async () => (await httpStatus(node.url, '/readyz')) === 200, 10_000);

  it('a call cancelled during a short cut ends on node 2 once it is back; a call placed meanwhile rings then', async () => {
    const alice = await connect(n1.url, uniqueUser('alice'), { deviceId: 'a' });
    const carol = await connect(n3.url, uniqueUser('carol'), { deviceId: 'c' });
    const bobPhone = await connect(n2.url, uniqueUser('bob'), { deviceId: 'phone' });
    const bobLaptop = await connect(n2.url, bobPhone.userId, { deviceId: 'laptop' });
    const bobDevices = [bobPhone, bobLaptop];
    const { callId } = await ringingCall(alice, bobDevices);
    for (const d of bobDevices) d.clear();

    proxy.cut();
    const cutAt = Date.now();
    await waitFor('node 2 unready', async () => (await httpStatus(n2.url, '/readyz')) === 503, 3000);
    expect(await httpStatus(n1.url, '/readyz')).toBe(200);
    expect(await alice.request('call_cancel', { callId })).toEqual({ ok: true });
    // Node 2 cannot judge a request now: it refuses rather than act on what it last knew.
    expect(await bobPhone.request('call_accept', { callId, sdp: 'stale' })).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    });
    // A new call to bob while node 2 is away: stored, but node 2 cannot hear of it yet.
    const second = await carol.request('call_invite', { to: bobPhone.userId, media: 'audio', sdp: FAKE_SDP });
    expect(second.ok).toBe(true);
    expect(await carol.request('ice_candidate', { callId: second.callId, candidate: { candidate: 'k1' } })).toEqual({
      ok: true,
    });
    await sleep(Math.max(0, SHORT_CUT_MS - since(cutAt)));
    for (const d of bobDevices) {
      expect(d.socket.connected).toBe(true);
      expect(d.all('call_ended')).toHaveLength(0);
    }

    proxy.restore();
    const restoredAt = Date.now();
    for (const d of bobDevices) {
      expect(await d.next('call_ended', (p) => p.callId === callId, EVENT_MS)).toEqual({
        callId,
        reason: 'cancelled',
        by: { userId: alice.userId, deviceId: 'a' },
      });
      const incoming = await d.next('call_incoming', (p) => p.callId === second.callId, EVENT_MS);
      expect(incoming.candidates).toEqual([{ candidate: 'k1' }]);
    }
    console.info(`short cut: node 2's devices reconciled ${since(restoredAt)} ms after the proxy was restored`);
    await ready(n2);
    expect(alice.all('call_accepted')).toHaveLength(0);

    // Node 2 routes normally again, both ways.
    expect(await bobLaptop.request('call_accept', { callId: second.callId, sdp: 'answer' })).toEqual({ ok: true });
    await carol.next('call_accepted', (p) => p.callId === second.callId, EVENT_MS);
    await bobPhone.next('call_ended', (p) => p.callId === second.callId && p.reason === 'answered_elsewhere', EVENT_MS);
    expect(await carol.request('ice_candidate', { callId: second.callId, candidate: { candidate: 'k2' } })).toEqual({
      ok: true,
    });
    await bobLaptop.next('ice_candidate', (p) => p.candidate?.candidate === 'k2', EVENT_MS);
    expect(await carol.request('call_end', { callId: second.callId })).toEqual({ ok: true });
    await bobLaptop.next('call_ended', (p) => p.callId === second.callId, EVENT_MS);

    await settle(500);
    for (const d of bobDevices) {
      expect(d.all('call_ended', (p) => p.callId === callId)).toHaveLength(1);
      expect(
        d.all('call_incoming', (p) => p.callId === callId),
        JSON.stringify(
          d.received.map((r) => [
            r.event,
            r.payload.callId === callId ? 'first' : r.payload.callId === second.callId ? 'second' : r.payload.callId,
            r.payload.reason,
          ]),
        ),
      ).toHaveLength(0);
      expect(d.all('call_incoming', (p) => p.callId === second.callId)).toHaveLength(1);
    }
    expect(bobPhone.all('ice_candidate')).toHaveLength(0);
    closeAll(alice, carol, ...bobDevices);
  });

  it('a node cut off long enough to be swept comes back without stale state', async () => {
    const alice = await connect(n1.url, uniqueUser('alice'), { deviceId: 'a' });
    const watcher = await connect(n3.url, uniqueUser('watcher'));
    const bobId = uniqueUser('bob');
    const bobPhone = await connect(n2.url, bobId, { deviceId: 'phone' });
    const bobTablet = await connect(n2.url, bobId, { deviceId: 'tablet' });
    const daveId = uniqueUser('dave');
    const dave = await connect(n2.url, daveId, { deviceId: 'd' });
    await watcher.request('presence_subscribe', { userIds: [alice.userId, bobId, daveId] });
    // An active call between node 1 and node 2 across the cut.
    const { callId } = await ringingCall(alice, [dave]);
    expect(await dave.request('call_accept', { callId, sdp: 'answer' })).toEqual({ ok: true });
    await alice.next('call_accepted', (p) => p.callId === callId, EVENT_MS);
    const n2Devices: TestClient[] = [bobPhone, bobTablet, dave];
    for (const d of n2Devices) d.clear();

    proxy.cut();
    const cutAt = Date.now();
    // The other nodes sweep node 2: its users go offline, its call ends for the peer.
    await watcher.next('presence', presenceOf(bobId, 'offline'), LONG_CUT_MS + 3000);
    const sweptAfter = since(cutAt);
    expect(await alice.next('call_ended', (p) => p.callId === callId, LONG_CUT_MS + 5000)).toEqual({
      callId,
      reason: 'disconnected',
    });
    console.info(`long cut: bob offline ${sweptAfter} ms after the cut, the call ended by ${since(cutAt)} ms`);
    await sleep(Math.max(0, LONG_CUT_MS - since(cutAt)));

    proxy.restore();
    const restoredAt = Date.now();
    await ready(n2);
    // Either each device is registered again, or its socket was closed so it reconnects cleanly.
    await waitFor('node 2 devices re-registered or closed', async () => {
      const answer = await watcher.request('presence_query', { userIds: [bobId, daveId] });
      if (!answer.ok) return false;
      const [bob, d] = answer.presence;
      const bobLive = bobPhone.socket.connected || bobTablet.socket.connected;
      return (bob.status === 'online') === bobLive && (d.status === 'online') === dave.socket.connected;
    });
    console.info(`long cut: node 2 consistent again ${since(restoredAt)} ms after the proxy was restored`);
    // The device whose call ended meanwhile hears of it, once.
    if (dave.socket.connected) {
      expect(await dave.next('call_ended', (p) => p.callId === callId, EVENT_MS)).toEqual({
        callId,
        reason: 'disconnected',
      });
    }
    const query = await watcher.request('presence_query', { userIds: [alice.userId, daveId] });
    expect(query.presence.map((p: { inCall: boolean }) => p.inCall)).toEqual([false, false]);

    // Still-connected devices can be called again through node 2.
    const live = [bobPhone, bobTablet].filter((d) => d.socket.connected);
    if (live.length > 0) {
      const again = await ringingCall(alice, live);
      expect(await live[0]!.request('call_reject', { callId: again.callId })).toEqual({ ok: true });
      await alice.next('call_ended', (p) => p.callId === again.callId, EVENT_MS);
    }
    await settle(500);
    for (const d of n2Devices) {
      for (const event of STALE) {
        expect(
          d.all(event, (p) => p.callId === callId),
          `${d.userId}/${d.deviceId} ${event}`,
        ).toHaveLength(0);
      }
      expect(d.all('call_ended', (p) => p.callId === callId).length).toBeLessThanOrEqual(1);
    }
    expect(alice.all('call_ended', (p) => p.callId === callId)).toHaveLength(1);
    expect(nodes.every((n) => !n.exited)).toBe(true);
    closeAll(alice, watcher, ...n2Devices);
  });
});
