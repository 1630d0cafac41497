import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { connect, FAKE_SDP } from '../support/test-client.js';

describe('a call from invite to hang-up on one node', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.close());

  it('rings every callee device, lets one answer, relays signaling, ends once', async () => {
    const alice = await connect(node.url, 'alice', { deviceId: 'phone' });
    const bobPhone = await connect(node.url, 'bob', { deviceId: 'phone' });
    const bobLaptop = await connect(node.url, 'bob', { deviceId: 'laptop' });

    const invite = await alice.request('call_invite', { to: 'bob', media: 'audio', sdp: FAKE_SDP, extra: 1 });
    expect(invite.ok).toBe(true);
    const { callId } = invite;
    const incoming = await bobPhone.next('call_incoming');
    expect(incoming).toMatchObject({
      callId,
      from: { userId: 'alice', deviceId: 'phone' },
      media: 'audio',
      sdp: FAKE_SDP,
      candidates: [],
    });
    await bobLaptop.next('call_incoming');

    expect(await bobLaptop.request('call_ringing', { callId })).toEqual({ ok: true });
    expect(await alice.next('call_ringing')).toEqual({ callId, by: { userId: 'bob', deviceId: 'laptop' } });

    expect(await bobPhone.request('call_accept', { callId, sdp: 'answer' })).toEqual({ ok: true });
    expect(await alice.next('call_accepted')).toEqual({
      callId,
      sdp: 'answer',
      by: { userId: 'bob', deviceId: 'phone' },
    });
    expect(await bobLaptop.next('call_ended')).toEqual({
      callId,
      reason: 'answered_elsewhere',
      by: { userId: 'bob', deviceId: 'phone' },
    });

    const cand = { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    expect(await alice.request('ice_candidate', { callId, candidate: cand, from: { userId: 'mallory' } })).toEqual({
      ok: true,
    });
    expect(await bobPhone.next('ice_candidate')).toEqual({
      callId,
      candidate: cand,
      from: { userId: 'alice', deviceId: 'phone' },
    });
    expect((await bobLaptop.request('ice_candidate', { callId, candidate: null })).error.code).toBe('NOT_PARTICIPANT');

    expect(await bobPhone.request('call_end', { callId })).toEqual({ ok: true });
    expect(await alice.next('call_ended')).toEqual({
      callId,
      reason: 'hangup',
      by: { userId: 'bob', deviceId: 'phone' },
    });
    expect((await alice.request('call_end', { callId })).error.code).toBe('INVALID_STATE');
    expect(bobPhone.all('call_ended')).toHaveLength(0);
    for (const c of [alice, bobPhone, bobLaptop]) c.close();
  });
});
