import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import { closeAll, connect, FAKE_SDP, settle } from '../support/test-client.js';
import { type Env, EVENT_MS, startEnv } from './helpers.js';

describe.skipIf(!redisServerAvailable)('a call across three nodes', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(3);
  });
  afterAll(() => env?.close());

  it('rings the callee on two other nodes, connects one, relays both ways', async () => {
    const [n1, n2, n3] = env.nodes;
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
  it("sends the caller's ringing candidates to every callee device and hands them to a late device on a third node", async () => {
    const [n1, n2, n3] = env.nodes;
    const alice = await connect(n1!.url, 'alice2', { deviceId: 'a1' });
    const phone = await connect(n2!.url, 'bob2', { deviceId: 'phone' });
    const tablet = await connect(n3!.url, 'bob2', { deviceId: 'tablet' });

    const invite = await alice.request('call_invite', {
      to: 'bob2',
      media: 'audio',
      sdp: FAKE_SDP,
      metadata: { subject: 'hi' },
    });
    expect(invite.ok).toBe(true);
    const { callId } = invite;
    for (const device of [phone, tablet]) {
      expect(await device.next('call_incoming', (p) => p.callId === callId, EVENT_MS)).toMatchObject({
        callId,
        from: { userId: 'alice2', deviceId: 'a1' },
        media: 'audio',
        sdp: FAKE_SDP,
        candidates: [],
        metadata: { subject: 'hi' },
      });
    }

    for (const c of ['c1', 'c2']) {
      expect(await alice.request('ice_candidate', { callId, candidate: { candidate: c, sdpMid: '0' } })).toEqual({
        ok: true,
      });
    }
    for (const device of [phone, tablet]) {
      await device.next('ice_candidate', (p) => p.candidate?.candidate === 'c2', EVENT_MS);
      expect(device.all('ice_candidate').map((p) => p.candidate.candidate)).toEqual(['c1', 'c2']);
      expect(device.all('ice_candidate')[0]).toMatchObject({ callId, from: { userId: 'alice2', deviceId: 'a1' } });
    }

    // Both ringing devices report ringing; the caller hears it once.
    expect(await phone.request('call_ringing', { callId })).toEqual({ ok: true });
    expect(await tablet.request('call_ringing', { callId })).toEqual({ ok: true });
    expect(await alice.next('call_ringing', (p) => p.callId === callId, EVENT_MS)).toEqual({
      callId,
      by: { userId: 'bob2', deviceId: 'phone' },
    });

    // A device that comes online on the third node while it rings gets the call with the candidates so far.
    const laptop = await connect(n3!.url, 'bob2', { deviceId: 'laptop' });
    const late = await laptop.next('call_incoming', (p) => p.callId === callId, EVENT_MS);
    expect(late.candidates.map((c: { candidate: string }) => c.candidate)).toEqual(['c1', 'c2']);
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'c3', sdpMid: '0' } })).toEqual({
      ok: true,
    });
    for (const device of [phone, tablet, laptop]) {
      await device.next('ice_candidate', (p) => p.candidate?.candidate === 'c3', EVENT_MS);
    }

    // The late device answers; the caller on node 1 hears it, the others stop ringing.
    expect(await laptop.request('call_accept', { callId, sdp: 'answer' })).toEqual({ ok: true });
    expect(await alice.next('call_accepted', (p) => p.callId === callId, EVENT_MS)).toEqual({
      callId,
      sdp: 'answer',
      by: { userId: 'bob2', deviceId: 'laptop' },
    });
    for (const device of [phone, tablet]) {
      expect(await device.next('call_ended', (p) => p.callId === callId, EVENT_MS)).toMatchObject({
        callId,
        reason: 'answered_elsewhere',
      });
    }
    // A late accept from another node loses the race and sees the winner's outcome.
    expect(await phone.request('call_accept', { callId })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE' },
    });

    // Renegotiation and ICE between node 1 and node 3, and nothing to the devices left out.
    expect(await alice.request('sdp_offer', { callId, sdp: 'offer-2' })).toEqual({ ok: true });
    expect(await laptop.next('sdp_offer', (p) => p.callId === callId, EVENT_MS)).toEqual({
      callId,
      sdp: 'offer-2',
      from: { userId: 'alice2', deviceId: 'a1' },
    });
    expect(await laptop.request('sdp_answer', { callId, sdp: 'answer-2' })).toEqual({ ok: true });
    expect(await alice.next('sdp_answer', (p) => p.callId === callId, EVENT_MS)).toEqual({
      callId,
      sdp: 'answer-2',
      from: { userId: 'bob2', deviceId: 'laptop' },
    });
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'c4', sdpMid: '0' } })).toEqual({
      ok: true,
    });
    expect(await laptop.request('ice_candidate', { callId, candidate: null })).toEqual({ ok: true });
    await laptop.next('ice_candidate', (p) => p.candidate?.candidate === 'c4', EVENT_MS);
    expect(await alice.next('ice_candidate', (p) => p.candidate === null, EVENT_MS)).toEqual({
      callId,
      candidate: null,
      from: { userId: 'bob2', deviceId: 'laptop' },
    });

    expect(await laptop.request('call_end', { callId })).toEqual({ ok: true });
    expect(await alice.next('call_ended', (p) => p.callId === callId, EVENT_MS)).toEqual({
      callId,
      reason: 'hangup',
      by: { userId: 'bob2', deviceId: 'laptop' },
    });
    await settle(300);
    for (const device of [phone, tablet]) {
      expect(device.all('ice_candidate').map((p) => p.candidate.candidate)).toEqual(['c1', 'c2', 'c3']);
      expect(device.all('call_ended')).toHaveLength(1);
      expect(device.all('sdp_offer')).toHaveLength(0);
    }
    expect(laptop.all('call_ended')).toHaveLength(0);
    expect(alice.all('call_ended')).toHaveLength(1);
    expect(alice.all('call_ringing')).toHaveLength(1);
    closeAll(alice, phone, tablet, laptop);
  });
});
