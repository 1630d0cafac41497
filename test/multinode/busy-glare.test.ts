import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import { activeCall, closeAll, connect, FAKE_SDP, settle, uniqueUser } from '../support/test-client.js';
import { type Env, EVENT_MS, presenceOf, startEnv } from './helpers.js';

describe.skipIf(!redisServerAvailable)('busy guard and glare across nodes', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(3);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('two users on different nodes inviting each other at once get exactly one call', async () => {
    const [n1, n2] = env.nodes;
    for (let round = 0; round < 6; round++) {
      const a = await connect(n1!.url, uniqueUser('alice'), { deviceId: 'a' });
      const b = await connect(n2!.url, uniqueUser('bob'), { deviceId: 'b' });
      const [fromA, fromB] = await Promise.all([
        a.request('call_invite', { to: b.userId, media: 'audio', sdp: FAKE_SDP }),
        b.request('call_invite', { to: a.userId, media: 'audio', sdp: FAKE_SDP }),
      ]);
      const answers = [fromA, fromB];
      const winners = answers.filter((r) => r.ok);
      expect(winners, JSON.stringify(answers)).toHaveLength(1);
      const loser = answers.find((r) => !r.ok);
      expect(loser.error.code).toBe('TOO_MANY_CALLS');

      const callee = fromA.ok ? b : a;
      const caller = fromA.ok ? a : b;
      const callId = winners[0].callId;
      await callee.next('call_incoming', (p) => p.callId === callId, EVENT_MS);
      await settle(200);
      expect(callee.all('call_incoming')).toHaveLength(1);
      expect(caller.all('call_incoming')).toHaveLength(0);
      expect(await caller.request('call_cancel', { callId })).toEqual({ ok: true });
      await callee.next('call_ended', (p) => p.callId === callId, EVENT_MS);
      closeAll(a, b);
    }
  });

  it('a user in a call on another node is BUSY for a third user, and free again after', async () => {
    const [n1, n2, n3] = env.nodes;
    const alice = await connect(n1!.url, uniqueUser('alice'), { deviceId: 'a' });
    const bobPhone = await connect(n2!.url, uniqueUser('bob'), { deviceId: 'phone' });
    const bobLaptop = await connect(n3!.url, bobPhone.userId, { deviceId: 'laptop' });
    const carol = await connect(n3!.url, uniqueUser('carol'), { deviceId: 'c' });
    const dave = await connect(n1!.url, uniqueUser('dave'), { deviceId: 'd' });

    // Ringing already counts.
    const ringing = await alice.request('call_invite', { to: bobPhone.userId, media: 'audio', sdp: FAKE_SDP });
    expect(ringing.ok).toBe(true);
    await bobLaptop.next('call_incoming', (p) => p.callId === ringing.callId, EVENT_MS);
    expect(await carol.request('call_invite', { to: bobPhone.userId, media: 'audio', sdp: FAKE_SDP })).toMatchObject({
      ok: false,
      error: { code: 'BUSY' },
    });
    expect(await alice.request('call_cancel', { callId: ringing.callId })).toEqual({ ok: true });
    await bobPhone.next('call_ended', (p) => p.callId === ringing.callId, EVENT_MS);

    const callId = await activeCall(alice, [bobPhone, bobLaptop]);
    for (const to of [bobPhone.userId, alice.userId]) {
      expect(await carol.request('call_invite', { to, media: 'audio', sdp: FAKE_SDP })).toMatchObject({
        ok: false,
        error: { code: 'BUSY' },
      });
    }
    // The callee's device that did not answer is not free either: its user is busy.
    expect(await bobLaptop.request('call_invite', { to: dave.userId, media: 'audio', sdp: FAKE_SDP })).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_CALLS' },
    });
    await settle(300);
    expect(bobPhone.all('call_incoming')).toHaveLength(2);
    expect(bobLaptop.all('call_incoming')).toHaveLength(2);
    expect(dave.all('call_incoming')).toHaveLength(0);

    expect(await alice.request('call_end', { callId })).toEqual({ ok: true });
    await bobPhone.next('call_ended', (p) => p.callId === callId, EVENT_MS);
    const probe = await connect(n3!.url, uniqueUser('probe'));
    await probe.request('presence_subscribe', { userIds: [bobPhone.userId] });
    await probe.next('presence', presenceOf(bobPhone.userId, 'online', false), 1).catch(() => undefined);
    const now = await carol.request('call_invite', { to: bobPhone.userId, media: 'audio', sdp: FAKE_SDP });
    expect(now.ok).toBe(true);
    await bobPhone.next('call_incoming', (p) => p.callId === now.callId, EVENT_MS);
    await bobLaptop.next('call_incoming', (p) => p.callId === now.callId, EVENT_MS);
    expect(await carol.request('call_cancel', { callId: now.callId })).toEqual({ ok: true });
    closeAll(alice, bobPhone, bobLaptop, carol, dave, probe);
  });
});
