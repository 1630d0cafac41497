// Flows that depend on time: the ring timeout, the disconnect grace, the ended-call retention.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
  uniqueUser,
} from '../support/test-client.js';

describe('ring timeout', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ RING_TIMEOUT_MS: '500' });
  });
  afterAll(() => node.close());

  it('ends an unanswered call with timeout, without by, for the caller and every callee device', async () => {
    const c = await cast(node.url);
    const watcher = await connect(node.url, uniqueUser('watcher'));
    await watcher.request('presence_subscribe', { userIds: [c.alice.userId] });
    const { callId, expiresAt } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
    // Ringing does not stop the clock.
    await c.bobPhone.request('call_ringing', { callId });
    const payload = { callId, reason: 'timeout' };
    expect(await c.alice.next('call_ended', () => true, 3000)).toEqual(payload);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(await c.bobPhone.next('call_ended')).toEqual(payload);
    expect(await c.bobLaptop.next('call_ended')).toEqual(payload);
    expect(await watcher.next('presence', (p) => !p.inCall)).toMatchObject({ userId: c.alice.userId, inCall: false });
    expect((await c.bobPhone.request('call_accept', { callId })).error.code).toBe('INVALID_STATE');
    expect(await node.store.listUserCalls(c.alice.userId)).toEqual([]);
    expect(await node.store.listUserCalls(c.bobPhone.userId)).toEqual([]);
    await settle();
    for (const d of c.all) expect(d.all('call_ended').length).toBeLessThanOrEqual(1);
    expect(c.aliceLaptop.all('call_ended')).toEqual([]);
    expect(c.carol.all('call_ended')).toEqual([]);
    closeAll(watcher);
    c.close();
  });

  it('does not end an answered call', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone]);
    await new Promise((r) => setTimeout(r, 900));
    expect(c.alice.all('call_ended')).toEqual([]);
    expect(c.bobPhone.all('call_ended')).toEqual([]);
    expect((await node.store.getCall(callId))?.state).toBe('active');
    await c.alice.request('call_end', { callId });
    c.close();
  });
});

describe('disconnect grace', () => {
  const GRACE = 1200;
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ RECONNECT_GRACE_MS: String(GRACE) });
  });
  afterAll(() => node.close());

  it('a caller device back within the grace gets call_resumed and the call goes on', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone]);
    c.alice.close();
    await c.alice.disconnected();
    const back = await connect(node.url, c.alice.userId, { deviceId: 'phone' });
    expect(await back.next('call_resumed')).toEqual({ callId, state: 'active', role: 'caller', peer: ref(c.bobPhone) });
    await new Promise((r) => setTimeout(r, GRACE + 500));
    expect(c.bobPhone.all('call_ended')).toEqual([]);
    expect(back.all('call_ended')).toEqual([]);
    expect(await back.request('ice_candidate', { callId, candidate: null })).toEqual({ ok: true });
    await c.bobPhone.next('ice_candidate');
    await back.request('call_end', { callId });
    closeAll(back);
    c.close();
  });

  it('the accepted callee device back within the grace gets call_resumed as callee', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone, c.bobLaptop]);
    c.bobPhone.close();
    await c.bobPhone.disconnected();
    const back = await connect(node.url, c.bobPhone.userId, { deviceId: 'phone' });
    expect(await back.next('call_resumed')).toEqual({ callId, state: 'active', role: 'callee', peer: ref(c.alice) });
    await settle();
    expect(back.all('call_incoming')).toEqual([]);
    await back.request('call_end', { callId });
    closeAll(back);
    c.close();
  });

  it('a caller device back while the call still rings gets call_resumed ringing, without the callee device', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone]);
    c.alice.close();
    await c.alice.disconnected();
    const back = await connect(node.url, c.alice.userId, { deviceId: 'phone' });
    expect(await back.next('call_resumed')).toEqual({
      callId,
      state: 'ringing',
      role: 'caller',
      peer: { userId: c.bobPhone.userId },
    });
    expect(await c.bobPhone.request('call_accept', { callId })).toEqual({ ok: true });
    expect(await back.next('call_accepted')).toEqual({ callId, by: ref(c.bobPhone) });
    await back.request('call_end', { callId });
    closeAll(back);
    c.close();
  });

  it('a device back within the grace hears of a call that ended while it was away', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
    c.alice.close();
    c.bobLaptop.close();
    await Promise.all([c.alice.disconnected(), c.bobLaptop.disconnected()]);
    await settle();
    expect(await c.bobPhone.request('call_reject', { callId })).toEqual({ ok: true });
    const alice = await connect(node.url, c.alice.userId, { deviceId: 'phone' });
    const laptop = await connect(node.url, c.bobLaptop.userId, { deviceId: 'laptop' });
    const ended = { callId, reason: 'rejected', by: ref(c.bobPhone) };
    expect(await alice.next('call_ended')).toEqual(ended);
    expect(await laptop.next('call_ended')).toEqual(ended);
    closeAll(alice, laptop);
    c.close();
  });

  it('past the grace the peer gets call_ended disconnected, without by', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone, c.bobLaptop]);
    c.alice.close();
    expect(await c.bobPhone.next('call_ended', () => true, GRACE + 3000)).toEqual({ callId, reason: 'disconnected' });
    expect((await c.bobPhone.request('call_end', { callId })).error.code).toBe('INVALID_STATE');
    const back = await connect(node.url, c.alice.userId, { deviceId: 'phone' });
    await settle();
    expect(back.all('call_resumed')).toEqual([]);
    expect(c.bobLaptop.all('call_ended')).toHaveLength(1); // answered_elsewhere only
    expect(c.bobPhone.all('call_ended')).toHaveLength(1);
    expect(await node.store.listUserCalls(c.bobPhone.userId)).toEqual([]);
    closeAll(back);
    c.close();
  });

  it('past the grace of the accepted callee device the caller gets call_ended disconnected', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone]);
    c.bobPhone.close();
    expect(await c.alice.next('call_ended', () => true, GRACE + 3000)).toEqual({ callId, reason: 'disconnected' });
    await settle();
    expect(c.aliceLaptop.all('call_ended')).toEqual([]);
    // bobLaptop was told answered_elsewhere at the accept, and nothing since.
    expect(c.bobLaptop.all('call_ended').map((p) => p.reason)).toEqual(['answered_elsewhere']);
    c.close();
  });

  it('a ringing call whose caller device is gone past the grace ends disconnected on every callee device', async () => {
    const c = await cast(node.url);
    const { callId } = await ringingCall(c.alice, [c.bobPhone, c.bobLaptop]);
    c.alice.close();
    expect(await c.bobPhone.next('call_ended', () => true, GRACE + 3000)).toEqual({ callId, reason: 'disconnected' });
    expect(await c.bobLaptop.next('call_ended')).toEqual({ callId, reason: 'disconnected' });
    expect(c.aliceLaptop.all('call_ended')).toEqual([]);
    c.close();
  });
});

describe('ended-call retention', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(async () => {
    vi.useRealTimers();
    await node.close();
  });

  it('an ended call is INVALID_STATE at once, CALL_NOT_FOUND once the retention (60 s) passed', async () => {
    const c = await cast(node.url);
    const callId = await activeCall(c.alice, [c.bobPhone]);
    await c.alice.request('call_end', { callId });
    expect((await c.bobPhone.request('call_end', { callId })).error.code).toBe('INVALID_STATE');
    c.close();
    // Only Date is mocked (no fake timers): the store's retention is wall-clock time. Socket.IO
    // clients judge their ping deadline by Date too, so the jump needs fresh connections.
    vi.setSystemTime(Date.now() + 61_000);
    try {
      const alice = await connect(node.url, c.alice.userId, { deviceId: 'phone' });
      const bob = await connect(node.url, c.bobPhone.userId, { deviceId: 'phone' });
      expect((await bob.request('call_end', { callId })).error.code).toBe('CALL_NOT_FOUND');
      expect((await alice.request('ice_candidate', { callId, candidate: null })).error.code).toBe('CALL_NOT_FOUND');
      // The id is free again.
      const again = await alice.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP, callId });
      expect(again).toEqual({ ok: true, callId, expiresAt: expect.any(Number) });
      await alice.request('call_cancel', { callId });
      closeAll(alice, bob);
    } finally {
      vi.useRealTimers();
    }
  });
});
