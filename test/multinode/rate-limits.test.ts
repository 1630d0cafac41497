import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import { activeCall, closeAll, connect, FAKE_SDP, settle, uniqueUser } from '../support/test-client.js';
import { type Env, EVENT_MS, startEnv } from './helpers.js';

describe.skipIf(!redisServerAvailable)('rate limits counted across nodes', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(3, {
      RATE_LIMIT_REQUESTS_PER_10S: '5',
      RATE_LIMIT_INVITES_PER_MIN: '3',
      RATE_LIMIT_SIGNALING_PER_10S: '4',
    });
  });
  afterAll(async () => {
    await env?.close();
  });

  const limited = (res: { ok: boolean; error?: { code: string; retryAfterMs?: number } }, windowMs = 10_000) => {
    expect(res).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(res.error!.retryAfterMs).toBeGreaterThan(0);
    expect(res.error!.retryAfterMs).toBeLessThanOrEqual(windowMs);
  };

  it('one device spreading requests over two nodes hits the per-device limit once', async () => {
    const [n1, n2] = env.nodes;
    const bob = uniqueUser('bob');
    const first = await connect(n1!.url, bob, { deviceId: 'x' });
    for (let i = 0; i < 3; i++) expect(await first.request('heartbeat', {})).toMatchObject({ ok: true });
    const second = await connect(n2!.url, bob, { deviceId: 'x' });
    expect(await second.request('presence_query', { userIds: [bob] })).toMatchObject({ ok: true });
    expect(await second.request('heartbeat', {})).toMatchObject({ ok: true });
    limited(await second.request('heartbeat', {}));
    limited(await second.request('presence_query', { userIds: [bob] }));
    // Another device of the same user has its own budget.
    const other = await connect(n1!.url, bob, { deviceId: 'y' });
    expect(await other.request('heartbeat', {})).toMatchObject({ ok: true });
    closeAll(first, second, other);
  });

  it("invites count per user across the user's devices on two nodes", async () => {
    const [n1, n2, n3] = env.nodes;
    const alice = uniqueUser('alice');
    const a1 = await connect(n1!.url, alice, { deviceId: 'a1' });
    const a2 = await connect(n2!.url, alice, { deviceId: 'a2' });
    const bob = await connect(n3!.url, uniqueUser('bob'));
    const offline = uniqueUser('nobody');
    // Refused invites count too.
    expect(await a1.request('call_invite', { to: offline, media: 'audio', sdp: FAKE_SDP })).toMatchObject({
      error: { code: 'USER_OFFLINE' },
    });
    expect(await a2.request('call_invite', { to: offline, media: 'audio', sdp: FAKE_SDP })).toMatchObject({
      error: { code: 'USER_OFFLINE' },
    });
    expect(await a1.request('call_invite', { to: offline, media: 'audio', sdp: FAKE_SDP })).toMatchObject({
      error: { code: 'USER_OFFLINE' },
    });
    limited(await a2.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP }), 60_000);
    limited(await a1.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP }), 60_000);
    // The per-minute invite limit leaves the other requests alone.
    expect(await a1.request('heartbeat', {})).toMatchObject({ ok: true });
    await settle(300);
    expect(bob.all('call_incoming')).toHaveLength(0);
    closeAll(a1, a2, bob);
  });

  it('signaling of one device counts on both nodes, and nothing past the limit is forwarded', async () => {
    const [n1, n2, n3] = env.nodes;
    const alice = await connect(n1!.url, uniqueUser('alice'), { deviceId: 'a' });
    const bob = await connect(n3!.url, uniqueUser('bob'), { deviceId: 'b' });
    const callId = await activeCall(alice, [bob]);
    for (const c of ['c1', 'c2']) {
      expect(await alice.request('ice_candidate', { callId, candidate: { candidate: c } })).toEqual({ ok: true });
    }
    const moved = await connect(n2!.url, alice.userId, { deviceId: 'a' });
    await moved.next('call_resumed', (p) => p.callId === callId, EVENT_MS);
    for (const c of ['c3', 'c4']) {
      expect(await moved.request('ice_candidate', { callId, candidate: { candidate: c } })).toEqual({ ok: true });
    }
    limited(await moved.request('ice_candidate', { callId, candidate: { candidate: 'c5' } }));
    limited(await moved.request('sdp_offer', { callId, sdp: 'offer-2' }));
    await bob.next('ice_candidate', (p) => p.candidate?.candidate === 'c4', EVENT_MS);
    await settle(300);
    expect(bob.all('ice_candidate').map((p) => p.candidate.candidate)).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(bob.all('sdp_offer')).toHaveLength(0);
    closeAll(alice, moved, bob);
  });
});
