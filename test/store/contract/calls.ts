import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  active,
  alice,
  bob,
  byId,
  carol,
  endInput,
  invite,
  RETAIN,
  register,
  ringing,
  type StoreFactory,
  sleep,
  T0,
  usersOf,
  useStore,
} from './fixtures.js';

export function createCallContract(factory: StoreFactory): void {
  describe('createCall', () => {
    const store = useStore(factory);

    it('stores a ringing call in both users live sets', async () => {
      await register(store(), bob.phone);
      const metadata = { topic: 'standup', nested: { n: 1 } };
      const result = await invite(store(), alice.phone, bob.phone.userId, { media: 'video', metadata });
      expect(result).toMatchObject({ ok: true, created: true });
      if (!result.ok || !result.created) return;
      expect(usersOf(result.inCallChanged)).toEqual([alice.phone.userId, bob.phone.userId].sort());
      // Handed back as the change left it, so that it is announced without a read.
      expect(result.inCallChanged).toEqual(await store().getPresence(result.inCallChanged.map((p) => p.userId)));
      expect(result.inCallChanged.map((p) => p.inCall)).toEqual([true, true]);
      expect(result.call).toEqual({
        callId: result.call.callId,
        state: 'ringing',
        caller: alice.phone,
        callee: { userId: bob.phone.userId },
        media: 'video',
        offer: 'v=0 offer',
        metadata,
        createdAt: T0,
        expiresAt: T0 + 30_000,
      });
      expect(await store().getCall(result.call.callId)).toEqual(result.call);
      expect(await store().listUserCalls(alice.phone.userId)).toEqual([result.call]);
      expect(await store().listUserCalls(bob.phone.userId)).toEqual([result.call]);
      expect(await store().getCall(randomUUID())).toBeNull();
    });

    it('answers a repeat from the same device to the same callee with the same call', async () => {
      await register(store(), bob.phone);
      const call = await ringing(store(), alice.phone, bob.phone.userId);
      const again = await invite(store(), alice.phone, bob.phone.userId, { callId: call.callId, now: T0 + 5 });
      expect(again).toEqual({ ok: true, created: false, call });
    });

    it('refuses any other reuse of a callId with INVALID_STATE', async () => {
      await register(store(), bob.phone);
      await register(store(), carol.phone);
      const call = await ringing(store(), alice.phone, bob.phone.userId, { maxConcurrent: 5 });
      const reuse = { callId: call.callId, maxConcurrent: 5 };
      expect(await invite(store(), alice.laptop, bob.phone.userId, reuse)).toEqual({
        ok: false,
        code: 'INVALID_STATE',
      });
      expect(await invite(store(), alice.phone, carol.phone.userId, reuse)).toEqual({
        ok: false,
        code: 'INVALID_STATE',
      });
      expect(await invite(store(), carol.phone, bob.phone.userId, reuse)).toEqual({ ok: false, code: 'INVALID_STATE' });
      await store().endCall(endInput(call.callId, { reason: 'cancelled', by: alice.phone }));
      expect(await invite(store(), alice.phone, bob.phone.userId, reuse)).toEqual({ ok: false, code: 'INVALID_STATE' });
    });

    it('checks in order: repeat, TOO_MANY_CALLS, USER_OFFLINE, BUSY', async () => {
      await register(store(), bob.phone);
      await register(store(), carol.phone);
      const first = await ringing(store(), alice.phone, bob.phone.userId);
      // The repeat comes before the limit that the call itself fills.
      expect(await invite(store(), alice.phone, bob.phone.userId, { callId: first.callId })).toMatchObject({
        ok: true,
      });
      // Caller at its limit, callee offline: the caller's limit wins.
      expect(await invite(store(), alice.phone, 'nobody')).toEqual({ ok: false, code: 'TOO_MANY_CALLS' });
      // Callee offline and busy: offline wins; busy only when online.
      await store().unregisterDevice({
        ...bob.phone,
        socketId: `sock-${bob.phone.userId}-${bob.phone.deviceId}`,
        now: T0,
        graceMs: 1,
      });
      expect(await invite(store(), carol.phone, bob.phone.userId)).toEqual({ ok: false, code: 'USER_OFFLINE' });
      await register(store(), bob.laptop);
      expect(await invite(store(), carol.phone, bob.phone.userId)).toEqual({ ok: false, code: 'BUSY' });
      expect(await store().listUserCalls(carol.phone.userId)).toEqual([]);
    });

    it('rings an offline callee when allowOffline is set', async () => {
      const result = await invite(store(), alice.phone, carol.phone.userId, { allowOffline: true });
      expect(result).toMatchObject({ ok: true, created: true });
      expect(await invite(store(), bob.phone, carol.phone.userId, { allowOffline: true })).toEqual({
        ok: false,
        code: 'BUSY',
      });
    });

    it('allows several live calls per user when maxConcurrent is above 1', async () => {
      await register(store(), bob.phone);
      await register(store(), carol.phone);
      const limit = { maxConcurrent: 2 };
      await ringing(store(), alice.phone, bob.phone.userId, limit);
      const second = await invite(store(), carol.phone, bob.phone.userId, limit);
      expect(second).toMatchObject({ ok: true, created: true, inCallChanged: [{ userId: carol.phone.userId }] });
      expect(await invite(store(), alice.laptop, bob.phone.userId, limit)).toEqual({ ok: false, code: 'BUSY' });
      expect(await store().listUserCalls(bob.phone.userId)).toHaveLength(2);
    });

    it('glare: of two crossing invites with limit 1, one rings and the other is TOO_MANY_CALLS', async () => {
      await register(store(), alice.phone);
      await register(store(), bob.phone);
      const results = await Promise.all([
        invite(store(), alice.phone, bob.phone.userId),
        invite(store(), bob.phone, alice.phone.userId),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, code: 'TOO_MANY_CALLS' }]);
    });
  });
}

export function transitionContract(factory: StoreFactory): void {
  describe('call transitions', () => {
    const store = useStore(factory);

    it('keeps the first candidates in order, only while ringing', async () => {
      const call = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      for (let i = 0; i < 4; i++) {
        await store().addCandidate(call.callId, { candidate: `c${i}`, sdpMid: '0', sdpMLineIndex: i }, 3);
      }
      expect(await store().getCandidates(call.callId)).toEqual(
        [0, 1, 2].map((i) => ({ candidate: `c${i}`, sdpMid: '0', sdpMLineIndex: i })),
      );
      await store().acceptCall(call.callId, bob.phone, undefined, T0 + 1);
      await store().addCandidate(call.callId, { candidate: 'late' }, 10);
      expect(await store().getCandidates(call.callId)).toHaveLength(3);
      await store().addCandidate(randomUUID(), { candidate: 'nowhere' }, 10);
      expect(await store().getCandidates(randomUUID())).toEqual([]);
    });

    it('markRinging reports first only once and needs a ringing call', async () => {
      const call = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      const first = await store().markRinging(call.callId, bob.phone);
      expect(first).toMatchObject({ ok: true, first: true, call: { ringingBy: bob.phone } });
      const second = await store().markRinging(call.callId, bob.laptop);
      expect(second).toMatchObject({ ok: true, first: false, call: { ringingBy: bob.phone } });
      await store().acceptCall(call.callId, bob.laptop, undefined, T0 + 1);
      expect(await store().markRinging(call.callId, bob.phone)).toMatchObject({
        ok: false,
        code: 'INVALID_STATE',
        call: { state: 'active' },
      });
      expect(await store().markRinging(randomUUID(), bob.phone)).toEqual({ ok: false, code: 'CALL_NOT_FOUND' });
    });

    it('getCallSummary is the call without its SDPs and metadata, at every stage', async () => {
      const summaryOf = async (callId: string) => {
        const call = await store().getCall(callId);
        if (!call) return null;
        const { offer: _o, answer: _a, metadata: _m, ...summary } = call;
        return summary;
      };
      const call = await ringing(store(), alice.phone, bob.phone.userId, {
        allowOffline: true,
        metadata: { topic: 'x' },
      });
      const ringingSummary = await store().getCallSummary(call.callId);
      expect(ringingSummary).toEqual(await summaryOf(call.callId));
      expect(ringingSummary).not.toHaveProperty('offer');
      expect(ringingSummary).not.toHaveProperty('metadata');
      await store().markRinging(call.callId, bob.laptop);
      await store().acceptCall(call.callId, bob.laptop, 'v=0 answer', T0 + 700);
      expect(await store().getCallSummary(call.callId)).toEqual(await summaryOf(call.callId));
      await store().endCall(endInput(call.callId, { from: ['active'], reason: 'hangup', by: alice.phone }));
      const ended = await store().getCallSummary(call.callId);
      expect(ended).toEqual(await summaryOf(call.callId));
      expect(ended).toMatchObject({ state: 'ended', endReason: 'hangup', endedBy: alice.phone, ringingBy: bob.laptop });
      expect(await store().getCallSummary(randomUUID())).toBeNull();
    });

    it('getCallSummaries reads several summaries at once, in the order asked, null for unknown calls', async () => {
      const first = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      await store().endCall(endInput(first.callId, { by: alice.phone }));
      const second = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      await store().acceptCall(second.callId, bob.laptop, 'v=0 answer', T0 + 700);
      const unknown = randomUUID();
      expect(await store().getCallSummaries([second.callId, unknown, first.callId])).toEqual([
        await store().getCallSummary(second.callId),
        null,
        await store().getCallSummary(first.callId),
      ]);
      expect(await store().getCallSummaries([])).toEqual([]);
    });

    it('acceptCall makes the call active with the accepting device and answer', async () => {
      const call = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      const result = await store().acceptCall(call.callId, bob.laptop, 'v=0 answer', T0 + 700);
      expect(result).toEqual({
        ok: true,
        call: { ...call, state: 'active', callee: bob.laptop, answer: 'v=0 answer', answeredAt: T0 + 700 },
      });
      expect(await store().getCall(call.callId)).toEqual(result.ok && result.call);
      // The ring deadline went with the accept.
      expect(await store().claimRingTimeouts(call.expiresAt + 1, 10, RETAIN)).toEqual([]);
      expect(await store().acceptCall(randomUUID(), bob.phone, undefined, T0)).toEqual({
        ok: false,
        code: 'CALL_NOT_FOUND',
      });
    });

    it('two parallel accepts: exactly one wins, the other sees the winner', async () => {
      const call = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      const results = await Promise.all([
        store().acceptCall(call.callId, bob.phone, 'a1', T0 + 1),
        store().acceptCall(call.callId, bob.laptop, 'a2', T0 + 1),
      ]);
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0]?.ok ? winners[0].call : undefined;
      const loser = results.find((r) => !r.ok);
      expect(loser).toEqual({ ok: false, code: 'INVALID_STATE', call: winner });
    });

    it('accept against cancel: exactly one transition happens', async () => {
      const call = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      const [accepted, cancelled] = await Promise.all([
        store().acceptCall(call.callId, bob.phone, undefined, T0 + 1),
        store().endCall(endInput(call.callId, { from: ['ringing'], reason: 'cancelled', by: alice.phone })),
      ]);
      expect([accepted.ok, cancelled.ok].filter(Boolean)).toHaveLength(1);
      const final = await store().getCall(call.callId);
      expect(final?.state).toBe(accepted.ok ? 'active' : 'ended');
    });

    it('endCall ends only from the given states and records reason, by and endedAt', async () => {
      await register(store(), bob.phone);
      const call = await active(store(), alice.phone, bob.phone);
      const refused = await store().endCall(endInput(call.callId, { from: ['ringing'], reason: 'cancelled' }));
      expect(refused).toEqual({ ok: false, code: 'INVALID_STATE', call });
      const ended = await store().endCall(endInput(call.callId, { from: ['active'], by: bob.phone, now: T0 + 9000 }));
      const endedCall = { ...call, state: 'ended', endReason: 'hangup', endedBy: bob.phone, endedAt: T0 + 9000 };
      expect(ended).toEqual({
        ok: true,
        call: endedCall,
        inCallChanged: expect.any(Array),
      });
      const changed = ended.ok ? ended.inCallChanged : [];
      expect(usersOf(changed)).toEqual([alice.phone.userId, bob.phone.userId].sort());
      expect(changed).toEqual(await store().getPresence(changed.map((p) => p.userId)));
      expect(await store().getCall(call.callId)).toEqual(endedCall);
      expect(await store().listUserCalls(alice.phone.userId)).toEqual([]);
      expect(await store().endCall(endInput(call.callId))).toEqual({
        ok: false,
        code: 'INVALID_STATE',
        call: endedCall,
      });
      expect(await store().endCall(endInput(randomUUID()))).toEqual({ ok: false, code: 'CALL_NOT_FOUND' });
    });

    it('endCall without by records none, and a ringing call leaves the ring deadlines', async () => {
      const call = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      const ended = await store().endCall(endInput(call.callId, { reason: 'failed' }));
      expect(ended.ok && ended.call.endedBy).toBeUndefined();
      expect(await store().claimRingTimeouts(call.expiresAt, 10, RETAIN)).toEqual([]);
    });

    it('inCallChanged lists only the users whose last live call ended', async () => {
      const limit = { maxConcurrent: 2, allowOffline: true };
      const first = await ringing(store(), alice.phone, bob.phone.userId, limit);
      await ringing(store(), carol.phone, bob.phone.userId, limit);
      const ended = await store().endCall(endInput(first.callId, { reason: 'cancelled', by: alice.phone }));
      expect(ended).toMatchObject({
        ok: true,
        inCallChanged: [{ userId: alice.phone.userId, status: 'offline', inCall: false }],
      });
      const bobCalls = await store().listUserCalls(bob.phone.userId);
      expect(bobCalls.map((c) => c.caller.userId)).toEqual([carol.phone.userId]);
    });

    it('keeps an ended call retainMs, then forgets it and frees its id', async () => {
      const call = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      await store().addCandidate(call.callId, { candidate: 'c0' }, 64);
      await store().endCall(endInput(call.callId, { retainMs: 200 }));
      expect((await store().getCall(call.callId))?.state).toBe('ended');
      await sleep(450);
      expect(await store().getCall(call.callId)).toBeNull();
      expect(await store().getCandidates(call.callId)).toEqual([]);
      const reused = await invite(store(), alice.phone, bob.phone.userId, { callId: call.callId, allowOffline: true });
      expect(reused).toMatchObject({ ok: true, created: true });
    });

    it('listUserCalls holds ringing and active calls only', async () => {
      const limit = { maxConcurrent: 3, allowOffline: true };
      const a = await ringing(store(), alice.phone, bob.phone.userId, limit);
      const b = await ringing(store(), alice.phone, carol.phone.userId, limit);
      const c = await ringing(store(), carol.phone, alice.phone.userId, limit);
      const accepted = await store().acceptCall(b.callId, carol.phone, undefined, T0 + 1);
      await store().endCall(endInput(c.callId));
      const expected = [a, accepted.ok ? accepted.call : b].sort(byId);
      expect((await store().listUserCalls(alice.phone.userId)).sort(byId)).toEqual(expected);
      expect(await store().listUserCalls('nobody')).toEqual([]);
    });
  });
}
