import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import {
  activeCall,
  closeAll,
  connect,
  FAKE_SDP,
  ringingCall,
  settle,
  sleep,
  type TestClient,
  uniqueUser,
} from '../support/test-client.js';
import { type Env, EVENT_MS, httpStatus, presenceOf, since, startEnv, waitFor } from './helpers.js';

describe.skipIf(!redisServerAvailable)('Redis stopped and restarted empty', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(3);
  });
  afterAll(async () => {
    await env?.close();
  });

  const statuses = (path: string) => Promise.all(env.nodes.map((n) => httpStatus(n.url, path)));

  it('no node crashes, requests answer UNAVAILABLE, readiness follows Redis, and everything recovers', async () => {
    const [n1, n2, n3] = env.nodes;
    // Every device connects before the outage: after it, cross-node events must
    // still reach them, which needs each node's SSUBSCRIBEs restored.
    const alice = await connect(n1!.url, uniqueUser('alice'), { deviceId: 'a' });
    const bob = await connect(n2!.url, uniqueUser('bob'), { deviceId: 'b' });
    const carol = await connect(n3!.url, uniqueUser('carol'), { deviceId: 'c' });
    const davePhone = await connect(n2!.url, uniqueUser('dave'), { deviceId: 'phone' });
    const daveLaptop = await connect(n1!.url, davePhone.userId, { deviceId: 'laptop' });
    const watcher = await connect(n3!.url, uniqueUser('watcher'));
    const users = [alice.userId, bob.userId, carol.userId, davePhone.userId];
    await watcher.request('presence_subscribe', { userIds: users });
    const everyone: TestClient[] = [alice, bob, carol, davePhone, daveLaptop, watcher];

    const active = await activeCall(alice, [bob]);
    const ringing = (await ringingCall(carol, [davePhone, daveLaptop])).callId;
    expect(await statuses('/readyz')).toEqual([200, 200, 200]);

    await env.redis.kill();
    const downAt = Date.now();
    for (const [client, event, payload] of [
      [alice, 'presence_query', { userIds: [bob.userId] }],
      [bob, 'heartbeat', {}],
      [carol, 'call_invite', { to: alice.userId, media: 'audio', sdp: FAKE_SDP }],
      [alice, 'ice_candidate', { callId: active, candidate: { candidate: 'lost' } }],
    ] as const) {
      const started = Date.now();
      const answer = await client.request(event, payload, 5000);
      const tookMs = since(started);
      expect(answer, event).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      expect(tookMs, event).toBeLessThan(3000);
    }
    await waitFor('/readyz 503 on every node', async () => (await statuses('/readyz')).every((s) => s === 503), 3000);
    console.info(`every node unready ${since(downAt)} ms after Redis died`);
    expect(await statuses('/healthz')).toEqual([200, 200, 200]);
    await sleep(Math.max(0, 3000 - since(downAt)));
    expect(await statuses('/healthz')).toEqual([200, 200, 200]);
    for (const c of everyone) expect(c.socket.connected, `${c.userId} still connected`).toBe(true);

    await env.redis.restart();
    const upAt = Date.now();
    await waitFor('/readyz 200 on every node', async () => (await statuses('/readyz')).every((s) => s === 200));
    console.info(`every node ready ${since(upAt)} ms after Redis came back`);

    // The calls that were live vanished with Redis' data: each device hears so once.
    for (const [client, callId] of [
      [alice, active],
      [bob, active],
      [carol, ringing],
      [davePhone, ringing],
      [daveLaptop, ringing],
    ] as const) {
      expect(await client.next('call_ended', (p) => p.callId === callId, EVENT_MS)).toEqual({
        callId,
        reason: 'disconnected',
      });
    }
    console.info(`vanished calls ended on every device ${since(upAt)} ms after Redis came back`);

    // Each node registered its devices again.
    await waitFor('everyone online again', async () => {
      const answer = await watcher.request('presence_query', { userIds: users });
      return answer.ok && answer.presence.every((p: { status: string }) => p.status === 'online');
    });
    for (const c of everyone) expect(c.socket.connected).toBe(true);

    // New calls work across nodes, to devices that connected before the restart.
    const again = await activeCall(alice, [bob]);
    await watcher.next('presence', presenceOf(bob.userId, 'online', true), EVENT_MS);
    expect(await bob.request('ice_candidate', { callId: again, candidate: { candidate: 'b1' } })).toEqual({ ok: true });
    await alice.next('ice_candidate', (p) => p.candidate?.candidate === 'b1', EVENT_MS);
    expect(await alice.request('ice_candidate', { callId: again, candidate: { candidate: 'a1' } })).toEqual({
      ok: true,
    });
    await bob.next('ice_candidate', (p) => p.candidate?.candidate === 'a1', EVENT_MS);
    expect(await alice.request('call_end', { callId: again })).toEqual({ ok: true });
    await bob.next('call_ended', (p) => p.callId === again, EVENT_MS);

    const fromDave = await ringingCall(davePhone, [carol]);
    expect(await carol.request('call_reject', { callId: fromDave.callId })).toEqual({ ok: true });
    expect(await davePhone.next('call_ended', (p) => p.callId === fromDave.callId, EVENT_MS)).toMatchObject({
      reason: 'rejected',
    });

    await settle(500);
    for (const c of [alice, bob, carol, davePhone, daveLaptop]) {
      const ids = c.all('call_ended').map((p) => p.callId);
      expect(new Set(ids).size, `${c.userId}/${c.deviceId} got a call_ended twice: ${ids}`).toBe(ids.length);
    }
    expect(env.nodes.every((n) => !n.exited)).toBe(true);
    closeAll(...everyone);
  });
});
