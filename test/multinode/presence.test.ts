import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import { closeAll, connect, FAKE_SDP, settle, uniqueUser } from '../support/test-client.js';
import { type Env, EVENT_MS, NODE_TTL_MS, presenceOf, since, startEnv } from './helpers.js';

describe.skipIf(!redisServerAvailable)('presence across nodes', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(3);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('a subscriber on node 1 sees online, inCall and offline of a user on node 2', async () => {
    const [n1, n2, n3] = env.nodes;
    const alice = uniqueUser('alice');
    const bob = uniqueUser('bob');
    const carol = uniqueUser('carol');
    const watcher = await connect(n1!.url, alice, { deviceId: 'w' });
    const first = await watcher.request('presence_subscribe', { userIds: [bob] });
    expect(first.presence).toEqual([{ userId: bob, status: 'offline', inCall: false }]);

    const phone = await connect(n2!.url, bob, { deviceId: 'phone' });
    expect(await watcher.next('presence', presenceOf(bob, 'online'), EVENT_MS)).toEqual({
      userId: bob,
      status: 'online',
      inCall: false,
    });

    // A second device on node 3 coming and going changes nothing.
    const laptop = await connect(n3!.url, bob, { deviceId: 'laptop' });
    laptop.close();
    await settle(400);
    expect(watcher.all('presence', (p) => p.userId === bob)).toHaveLength(1);

    // A call from node 3 puts bob in a call, as every node sees.
    const caller = await connect(n3!.url, carol, { deviceId: 'c' });
    const invite = await caller.request('call_invite', { to: bob, media: 'audio', sdp: FAKE_SDP });
    expect(invite.ok).toBe(true);
    await watcher.next('presence', presenceOf(bob, 'online', true), EVENT_MS);
    for (const node of [n1, n2, n3]) {
      const probe = await connect(node!.url, uniqueUser('probe'));
      expect((await probe.request('presence_query', { userIds: [bob] })).presence[0]).toMatchObject({
        status: 'online',
        inCall: true,
      });
      probe.close();
    }
    expect(await phone.request('call_reject', { callId: invite.callId })).toEqual({ ok: true });
    await watcher.next('presence', presenceOf(bob, 'online', false), EVENT_MS);

    // The last device's clean disconnect: offline at once, with lastSeen.
    const before = Date.now();
    phone.close();
    const offline = await watcher.next('presence', presenceOf(bob, 'offline'), EVENT_MS);
    expect(since(before)).toBeLessThan(1000);
    expect(offline.inCall).toBe(false);
    expect(offline.lastSeen).toBeGreaterThanOrEqual(before - 50);
    expect(offline.lastSeen).toBeLessThanOrEqual(Date.now());
    await settle(300);
    expect(watcher.all('presence', (p) => p.userId === bob).map((p) => `${p.status}/${p.inCall}`)).toEqual([
      'online/false',
      'online/true',
      'online/false',
      'offline/false',
    ]);
    closeAll(watcher, caller);
  });

  it('a user whose node is SIGKILLed goes offline within NODE_TTL_MS + 2 s, announced once', async () => {
    const [n1, n2, n3] = env.nodes;
    const doomed = await env.cluster.add('node-doomed');
    const bob = uniqueUser('bob');
    const watchers = await Promise.all(
      [n1, n2, n3].map(async (node) => {
        const w = await connect(node!.url, uniqueUser('watcher'));
        await w.request('presence_subscribe', { userIds: [bob] });
        return w;
      }),
    );
    await connect(doomed.url, bob, { deviceId: 'phone' });
    await connect(doomed.url, bob, { deviceId: 'tablet' });
    for (const w of watchers) await w.next('presence', presenceOf(bob, 'online'), EVENT_MS);

    const killedAt = Date.now();
    await doomed.kill();
    const offline = await watchers[0]!.next('presence', presenceOf(bob, 'offline'), NODE_TTL_MS + 4000);
    const tookMs = since(killedAt);
    console.info(`presence offline ${tookMs} ms after SIGKILL (limit ${NODE_TTL_MS + 2000})`);
    expect(tookMs).toBeLessThanOrEqual(NODE_TTL_MS + 2000);
    expect(offline).toMatchObject({ userId: bob, status: 'offline', inCall: false });
    expect(typeof offline.lastSeen).toBe('number');

    await settle(1500);
    for (const w of watchers) {
      expect(w.all('presence', (p) => p.userId === bob).map((p) => p.status)).toEqual(['online', 'offline']);
    }
    const probe = await connect(n2!.url, uniqueUser('probe'));
    expect((await probe.request('presence_query', { userIds: [bob] })).presence[0]).toMatchObject({
      status: 'offline',
    });
    closeAll(probe, ...watchers);
  });
});
