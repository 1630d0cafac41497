import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import {
  activeCall,
  cast,
  closeAll,
  connect,
  FAKE_SDP,
  ref,
  ringingCall,
  settle,
  type TestClient,
  uniqueUser,
} from '../support/test-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const cand = (i: number) => ({
  candidate: `candidate:${i} 1 udp 2122260223 10.0.0.1 ${5000 + i} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});

describe('call flows on one node', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ RING_TIMEOUT_MS: '20000' });
  });
  afterAll(() => node.close());

  it('invite answers callId and expiresAt; call_incoming goes to every callee device and nobody else', async () => {
    const c = await cast(node.url);
    const before = Date.now();
    const res = await c.alice.request('call_invite', { to: c.bobPhone.userId, media: 'video', sdp: FAKE_SDP });
    const after = Date.now();
    expect(res).toEqual({ ok: true, callId: expect.stringMatching(UUID), expiresAt: expect.any(Number) });
    expect(res.expiresAt).toBeGreaterThanOrEqual(before + 20000);
    expect(res.expiresAt).toBeLessThanOrEqual(after + 20000);
    const expected = {
      callId: res.callId,
      from: ref(c.alice),
      media: 'video',
      sdp: FAKE_SDP,
      candidates: [],
      createdAt: expect.any(Number),
      expiresAt: res.expiresAt,
    };
    const phone = await c.bobPhone.next('call_incoming');
    expect(phone).toEqual(expected);
    expect(phone.createdAt).toBeGreaterThanOrEqual(before);
    expect(phone.createdAt).toBeLessThanOrEqual(after);
    expect(await c.bobLaptop.next('call_incoming')).toEqual(expected);
    await settle();
    for (const other of [c.alice, c.aliceLaptop, c.carol]) expect(other.all('call_incoming')).toEqual([]);
    expect(c.bobPhone.all('call_incoming')).toHaveLength(1);
    const [call] = await node.store.listUserCalls(c.alice.userId);
    expect(call).toMatchObject({ callId: res.callId, state: 'ringing' });
    c.close();
  });

  it('hands the metadata to the callee as sent', async () => {
    const c = await cast(node.url);
    const metadata = { subject: 'Standup', nested: { list: [1, 'two', null, true] }, emoji: '📞' };
    const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop], { metadata });
    expect(c.bobPhone.all('call_incoming')[0]).toMatchObject({ callId, metadata });
    expect(c.bobLaptop.all('call_incoming')[0].metadata).toEqual(metadata);
    c.close();
  });

  it('call_ringing: the first ringing callee device is announced to the calling device, once', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
    expect(await c.bobLaptop.request('call_ringing', { callId })).toEqual({ ok: true });
    expect(await c.alice.next('call_ringing')).toEqual({ callId, by: ref(c.bobLaptop) });
    expect(await c.bobPhone.request('call_ringing', { callId })).toEqual({ ok: true });
    expect(await c.bobLaptop.request('call_ringing', { callId })).toEqual({ ok: true });
    await settle();
    expect(c.alice.all('call_ringing')).toHaveLength(1);
    for (const other of [c.aliceLaptop, c.bobPhone, c.bobLaptop, c.carol])
      expect(other.all('call_ringing')).toEqual([]);
    c.close();
  });

  it('accept: the caller gets call_accepted, the other callee devices answered_elsewhere', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
    expect(await c.bobPhone.request('call_accept', { callId, sdp: 'v=0 answer' })).toEqual({ ok: true });
    expect(await c.alice.next('call_accepted')).toEqual({ callId, sdp: 'v=0 answer', by: ref(c.bobPhone) });
    expect(await c.bobLaptop.next('call_ended')).toEqual({ callId, reason: 'answered_elsewhere', by: ref(c.bobPhone) });
    await settle();
    expect(c.bobPhone.all('call_ended')).toEqual([]);
    expect(c.alice.all('call_ended')).toEqual([]);
    for (const other of [c.aliceLaptop, c.bobPhone, c.bobLaptop, c.carol])
      expect(other.all('call_accepted')).toEqual([]);
    for (const other of [c.aliceLaptop, c.carol])
      expect(other.received.filter((r) => r.event !== 'session')).toEqual([]);
    expect((await node.store.getCall(callId))?.state).toBe('active');
    await c.alice.request('call_end', { callId });
    c.close();
  });

  it('accept without sdp: call_accepted has no sdp', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone]);
    expect(await c.bobPhone.request('call_accept', { callId })).toEqual({ ok: true });
    expect(await c.alice.next('call_accepted')).toEqual({ callId, by: ref(c.bobPhone) });
    await c.alice.request('call_end', { callId });
    c.close();
  });

  it.each([
    ['declined', 'rejected'],
    [undefined, 'rejected'],
    ['busy', 'busy'],
  ])('reject (reason %s) ends the call %s for the caller and the other callee devices', async (reason, ended) => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
    const res = await c.bobPhone.request('call_reject', { callId, ...(reason && { reason }) });
    expect(res).toEqual({ ok: true });
    const payload = { callId, reason: ended, by: ref(c.bobPhone) };
    expect(await c.alice.next('call_ended')).toEqual(payload);
    expect(await c.bobLaptop.next('call_ended')).toEqual(payload);
    await settle();
    expect(c.bobPhone.all('call_ended')).toEqual([]);
    expect(c.aliceLaptop.all('call_ended')).toEqual([]);
    expect(c.carol.all('call_ended')).toEqual([]);
    expect(await node.store.listUserCalls(c.alice.userId)).toEqual([]);
    expect(await node.store.listUserCalls(c.bobPhone.userId)).toEqual([]);
    c.close();
  });

  it('cancel: every callee device gets cancelled, the caller only its ack', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
    expect(await c.alice.request('call_cancel', { callId })).toEqual({ ok: true });
    const payload = { callId, reason: 'cancelled', by: ref(c.alice) };
    expect(await c.bobPhone.next('call_ended')).toEqual(payload);
    expect(await c.bobLaptop.next('call_ended')).toEqual(payload);
    await settle();
    for (const other of [c.alice, c.aliceLaptop, c.carol]) expect(other.all('call_ended')).toEqual([]);
    c.close();
  });

  it.each([
    ['hangup', 'cancelled'],
    ['failed', 'cancelled'],
    [undefined, 'cancelled'],
  ])('call_end (reason %s) from the caller while ringing is a cancel', async (reason, ended) => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
    expect(await c.alice.request('call_end', { callId, ...(reason && { reason }) })).toEqual({ ok: true });
    const payload = { callId, reason: ended, by: ref(c.alice) };
    expect(await c.bobPhone.next('call_ended')).toEqual(payload);
    expect(await c.bobLaptop.next('call_ended')).toEqual(payload);
    await settle();
    expect(c.alice.all('call_ended')).toEqual([]);
    c.close();
  });

  it.each([['hangup'], ['failed'], [undefined]])(
    'call_end (reason %s) from a callee device while ringing is a reject',
    async (reason) => {
      const c = await cast(node.url);
      const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
      expect(await c.bobLaptop.request('call_end', { callId, ...(reason && { reason }) })).toEqual({ ok: true });
      const payload = { callId, reason: 'rejected', by: ref(c.bobLaptop) };
      expect(await c.alice.next('call_ended')).toEqual(payload);
      expect(await c.bobPhone.next('call_ended')).toEqual(payload);
      await settle();
      expect(c.bobLaptop.all('call_ended')).toEqual([]);
      expect(c.aliceLaptop.all('call_ended')).toEqual([]);
      c.close();
    },
  );

  it.each([
    ['caller', undefined, 'hangup'],
    ['callee', 'hangup', 'hangup'],
    ['caller', 'failed', 'failed'],
    ['callee', 'failed', 'failed'],
  ])(
    'call_end from the %s of an active call (reason %s) ends it %s for the other participant only',
    async (who, reason, ended) => {
      const c = await cast(node.url);
      const callId = await activeCall(c.alice, [c.bobPhone, c.bobLaptop]);
      const [ender, peer] = who === 'caller' ? [c.alice, c.bobPhone] : [c.bobPhone, c.alice];
      expect(await ender.request('call_end', { callId, ...(reason && { reason }) })).toEqual({ ok: true });
      expect(await peer.next('call_ended')).toEqual({ callId, reason: ended, by: ref(ender) });
      await settle();
      expect(ender.all('call_ended')).toEqual([]);
      // bobLaptop heard answered_elsewhere when the call was answered, and nothing more.
      expect(c.bobLaptop.all('call_ended')).toEqual([{ callId, reason: 'answered_elsewhere', by: ref(c.bobPhone) }]);
      expect(c.aliceLaptop.all('call_ended')).toEqual([]);
      expect(c.carol.all('call_ended')).toEqual([]);
      c.close();
    },
  );

  it('an ended call is remembered: every request about it is INVALID_STATE', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone, c.bobLaptop]);
    await c.alice.request('call_end', { callId });
    const asks: [TestClient, string, object][] = [
      [c.alice, 'call_end', { callId }],
      [c.alice, 'call_cancel', { callId }],
      [c.alice, 'sdp_offer', { callId, sdp: FAKE_SDP }],
      [c.alice, 'ice_candidate', { callId, candidate: null }],
      [c.bobPhone, 'call_end', { callId }],
      [c.bobPhone, 'call_accept', { callId }],
      [c.bobPhone, 'call_reject', { callId }],
      [c.bobPhone, 'call_ringing', { callId }],
      [c.bobPhone, 'sdp_answer', { callId, sdp: FAKE_SDP }],
      [c.bobLaptop, 'call_accept', { callId }],
      [c.alice, 'call_invite', { to: c.bobPhone.userId, media: 'audio', sdp: FAKE_SDP, callId }],
    ];
    for (const [who, event, payload] of asks) {
      expect((await who.request(event, payload)).error?.code, `${who.deviceId} ${event}`).toBe('INVALID_STATE');
    }
    expect(await node.store.getCall(callId)).toMatchObject({ state: 'ended', endReason: 'hangup' });
    c.close();
  });

  describe('idempotent invite with a callId', () => {
    it('the same device gets the same answer and nobody rings twice', async () => {
      const c = await cast(node.url);
      const callId = randomUUID();
      const invite = { to: c.bobPhone.userId, media: 'audio', sdp: FAKE_SDP, callId };
      const first = await c.alice.request('call_invite', invite);
      expect(first).toEqual({ ok: true, callId, expiresAt: expect.any(Number) });
      expect(await c.alice.request('call_invite', invite)).toEqual(first);
      expect(await c.alice.request('call_invite', { ...invite, callId: callId.toUpperCase() })).toEqual(first);
      await c.bobPhone.next('call_incoming');
      await settle();
      expect(c.bobPhone.all('call_incoming')).toHaveLength(1);
      expect(c.bobLaptop.all('call_incoming')).toHaveLength(1);
      expect(await node.store.listUserCalls(c.alice.userId)).toHaveLength(1);
      // Still the same answer once it was answered (it is live).
      await c.bobPhone.request('call_accept', { callId });
      expect(await c.alice.request('call_invite', invite)).toEqual(first);
      await c.alice.request('call_end', { callId });
      c.close();
    });

    it('from another device or user, to another callee, or after the end: INVALID_STATE', async () => {
      const c = await cast(node.url);
      const dave = await connect(node.url, uniqueUser('dave'));
      const callId = randomUUID();
      const invite = { to: c.bobPhone.userId, media: 'audio', sdp: FAKE_SDP, callId };
      await ringingCall(c.alice, [c.bobPhone, c.bobLaptop], { callId });
      const code = async (who: TestClient, payload: object) => (await who.request('call_invite', payload)).error?.code;
      expect(await code(c.aliceLaptop, invite)).toBe('INVALID_STATE');
      expect(await code(c.carol, invite)).toBe('INVALID_STATE');
      expect(await code(c.alice, { ...invite, to: dave.userId })).toBe('INVALID_STATE');
      await c.alice.request('call_cancel', { callId });
      expect(await code(c.alice, invite)).toBe('INVALID_STATE');
      await settle();
      expect(c.bobPhone.all('call_incoming')).toHaveLength(1);
      expect(dave.all('call_incoming')).toEqual([]);
      expect(c.carol.all('call_incoming')).toEqual([]);
      closeAll(dave);
      c.close();
    });
  });

  it('ICE while ringing goes to every callee device; a late device gets the first 64 non-null ones in order', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone]);
    const sent: (ReturnType<typeof cand> | null)[] = [];
    for (let i = 0; i < 70; i++) {
      const candidate = i % 10 === 5 ? null : cand(i);
      sent.push(candidate);
      expect(await c.alice.request('ice_candidate', { callId, candidate })).toEqual({ ok: true });
    }
    await c.bobPhone.next('ice_candidate', (p) => p.candidate?.candidate === cand(69).candidate);
    expect(c.bobPhone.all('ice_candidate')).toEqual(
      sent.map((candidate) => ({ callId, candidate, from: ref(c.alice) })),
    );
    expect(c.bobLaptop.all('ice_candidate')).toHaveLength(70);

    const late = await connect(node.url, c.bobPhone.userId, { deviceId: 'tablet' });
    const incoming = await late.next('call_incoming');
    expect(incoming).toMatchObject({ callId, from: ref(c.alice), sdp: FAKE_SDP });
    expect(incoming.candidates).toEqual(sent.filter((x) => x !== null).slice(0, 64));
    for (const other of [c.aliceLaptop, c.carol, c.alice]) expect(other.all('ice_candidate')).toEqual([]);

    // The callee may not send ICE before it accepted.
    expect((await c.bobPhone.request('ice_candidate', { callId, candidate: cand(1) })).error.code).toBe(
      'NOT_PARTICIPANT',
    );

    // After accept: only between the two participant devices.
    await late.request('call_accept', { callId });
    await c.alice.next('call_accepted');
    c.bobPhone.clear();
    c.bobLaptop.clear();
    expect(await c.alice.request('ice_candidate', { callId, candidate: cand(100) })).toEqual({ ok: true });
    expect(await late.next('ice_candidate')).toEqual({ callId, candidate: cand(100), from: ref(c.alice) });
    expect(await late.request('ice_candidate', { callId, candidate: null })).toEqual({ ok: true });
    expect(await c.alice.next('ice_candidate', (p) => p.from.deviceId === 'tablet')).toEqual({
      callId,
      candidate: null,
      from: ref(late),
    });
    expect((await c.bobLaptop.request('ice_candidate', { callId, candidate: cand(2) })).error.code).toBe(
      'NOT_PARTICIPANT',
    );
    await settle();
    expect(c.bobPhone.all('ice_candidate')).toEqual([]);
    expect(c.bobLaptop.all('ice_candidate')).toEqual([]);
    expect(late.all('ice_candidate')).toHaveLength(1);
    await c.alice.request('call_end', { callId });
    closeAll(late);
    c.close();
  });

  it('a late-joining callee device gets call_incoming with the metadata, and may answer', async () => {
    const c = await cast(node.url);
    const metadata = { topic: 'late' };
    const { callId, expiresAt } = await ringingCall(c.alice, [c.bobPhone], { metadata });
    const late = await connect(node.url, c.bobPhone.userId, { deviceId: 'late' });
    expect(await late.next('call_incoming')).toEqual({
      callId,
      from: ref(c.alice),
      media: 'audio',
      sdp: FAKE_SDP,
      candidates: [],
      metadata,
      createdAt: expect.any(Number),
      expiresAt,
    });
    expect(await late.request('call_accept', { callId })).toEqual({ ok: true });
    expect(await c.bobPhone.next('call_ended')).toEqual({ callId, reason: 'answered_elsewhere', by: ref(late) });
    await c.alice.request('call_end', { callId });
    closeAll(late);
    c.close();
  });

  it('renegotiation: sdp_offer and sdp_answer flow both ways between the participant devices only', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone, c.bobLaptop]);
    c.bobLaptop.clear();
    expect(await c.bobPhone.request('sdp_offer', { callId, sdp: 'offer-2', from: ref(c.carol) })).toEqual({ ok: true });
    expect(await c.alice.next('sdp_offer')).toEqual({ callId, sdp: 'offer-2', from: ref(c.bobPhone) });
    expect(await c.alice.request('sdp_answer', { callId, sdp: 'answer-2' })).toEqual({ ok: true });
    expect(await c.bobPhone.next('sdp_answer')).toEqual({ callId, sdp: 'answer-2', from: ref(c.alice) });
    expect(await c.alice.request('sdp_offer', { callId, sdp: 'offer-3' })).toEqual({ ok: true });
    expect(await c.bobPhone.next('sdp_offer')).toEqual({ callId, sdp: 'offer-3', from: ref(c.alice) });
    expect(await c.bobPhone.request('sdp_answer', { callId, sdp: 'answer-3' })).toEqual({ ok: true });
    expect(await c.alice.next('sdp_answer')).toEqual({ callId, sdp: 'answer-3', from: ref(c.bobPhone) });
    await settle();
    for (const other of [c.aliceLaptop, c.bobLaptop, c.carol]) {
      expect(other.all('sdp_offer')).toEqual([]);
      expect(other.all('sdp_answer')).toEqual([]);
    }
    expect(c.alice.all('sdp_offer')).toHaveLength(1);
    expect(c.bobPhone.all('sdp_offer')).toHaveLength(1);
    await c.alice.request('call_end', { callId });
    c.close();
  });

  it('sdp_offer/sdp_answer while ringing: INVALID_STATE for the caller, NOT_PARTICIPANT for a callee device', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone]);
    for (const event of ['sdp_offer', 'sdp_answer']) {
      expect((await c.alice.request(event, { callId, sdp: FAKE_SDP })).error.code).toBe('INVALID_STATE');
      expect((await c.bobPhone.request(event, { callId, sdp: FAKE_SDP })).error.code).toBe('NOT_PARTICIPANT');
    }
    await settle();
    expect(c.bobPhone.all('sdp_offer')).toEqual([]);
    expect(c.alice.all('sdp_answer')).toEqual([]);
    await c.alice.request('call_cancel', { callId });
    c.close();
  });

  it('call_history lists an ended call for both users, newest first', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone]);
    await c.bobPhone.request('call_end', { callId });
    const mine = await c.alice.request('call_history', {});
    expect(mine).toEqual({
      ok: true,
      calls: [
        {
          callId,
          direction: 'outgoing',
          peer: { userId: c.bobPhone.userId },
          media: 'audio',
          createdAt: expect.any(Number),
          answeredAt: expect.any(Number),
          endedAt: expect.any(Number),
          durationMs: expect.any(Number),
          reason: 'hangup',
        },
      ],
    });
    const theirs = await c.bobLaptop.request('call_history', { limit: 1 });
    expect(theirs.calls).toEqual([expect.objectContaining({ callId, direction: 'incoming' })]);
    c.close();
  });

  it('device replacement during a call: the old socket goes, the new one resumes the call', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone]);
    const replacement = await connect(node.url, c.alice.userId, { deviceId: 'phone' });
    expect(await c.alice.disconnected()).toBe('io server disconnect');
    expect(await replacement.next('call_resumed')).toEqual({
      callId,
      state: 'active',
      role: 'caller',
      peer: ref(c.bobPhone),
    });
    expect(await replacement.request('sdp_offer', { callId, sdp: 'again' })).toEqual({ ok: true });
    expect(await c.bobPhone.next('sdp_offer')).toEqual({ callId, sdp: 'again', from: ref(replacement) });
    await settle();
    expect(c.bobPhone.all('call_ended')).toEqual([]);
    expect(replacement.all('call_incoming')).toEqual([]);
    expect(await replacement.request('call_end', { callId })).toEqual({ ok: true });
    expect(await c.bobPhone.next('call_ended')).toEqual({ callId, reason: 'hangup', by: ref(replacement) });
    closeAll(replacement);
    c.close();
  });

  it('a callee device that reconnects while the call rings gets call_incoming again', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
    await c.alice.request('ice_candidate', { callId, candidate: cand(1) });
    await c.bobLaptop.next('ice_candidate');
    c.bobLaptop.close();
    await c.bobLaptop.disconnected();
    const again = await connect(node.url, c.bobLaptop.userId, { deviceId: 'laptop' });
    expect(await again.next('call_incoming')).toMatchObject({ callId, candidates: [cand(1)] });
    await settle();
    expect(again.all('call_resumed')).toEqual([]);
    await c.alice.request('call_cancel', { callId });
    closeAll(again);
    c.close();
  });
});
