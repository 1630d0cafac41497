import { describe, expect, it } from 'vitest';
import {
  active,
  alice,
  bob,
  carol,
  GRACE,
  RETAIN,
  register,
  ringing,
  type StoreFactory,
  T0,
  usersOf,
  useStore,
} from './fixtures.js';

export function workerContract(factory: StoreFactory): void {
  describe('claimRingTimeouts', () => {
    const store = useStore(factory);

    it('ends ringing calls whose deadline passed, with reason timeout and no by', async () => {
      const opts = { allowOffline: true, expiresAt: T0 + 1000 };
      const call = await ringing(store(), alice.phone, bob.phone.userId, opts);
      expect(await store().claimRingTimeouts(T0 + 999, 10, RETAIN)).toEqual([]);
      const ended = await store().claimRingTimeouts(T0 + 1000, 10, RETAIN);
      expect(ended).toHaveLength(1);
      expect(ended[0]?.call).toEqual({ ...call, state: 'ended', endReason: 'timeout', endedAt: T0 + 1000 });
      const changed = ended[0]?.inCallChanged ?? [];
      expect(usersOf(changed)).toEqual([alice.phone.userId, bob.phone.userId].sort());
      expect(changed).toEqual(await store().getPresence(changed.map((p) => p.userId)));
      expect(await store().claimRingTimeouts(T0 + 5000, 10, RETAIN)).toEqual([]);
      expect(await store().listUserCalls(bob.phone.userId)).toEqual([]);
    });

    it('claims each call exactly once across parallel claimers, within the limit', async () => {
      const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
      const callIds: string[] = [];
      for (const [i, userId] of users.entries()) {
        const call = await ringing(store(), { userId, deviceId: 'd' }, `callee-${i}`, {
          allowOffline: true,
          expiresAt: T0 + 100 + i,
        });
        callIds.push(call.callId);
      }
      const first = await store().claimRingTimeouts(T0 + 1000, 2, RETAIN);
      expect(first).toHaveLength(2);
      const rounds = await Promise.all([1, 2, 3, 4, 5].map(() => store().claimRingTimeouts(T0 + 1000, 3, RETAIN)));
      const claimed = [...first, ...rounds.flat()].map((e) => e.call.callId);
      expect(claimed.sort()).toEqual(callIds.sort());
    });

    it('leaves answered calls alone', async () => {
      await register(store(), bob.phone);
      await active(store(), alice.phone, bob.phone);
      expect(await store().claimRingTimeouts(T0 + 60_000, 10, RETAIN)).toEqual([]);
    });
  });

  describe('claimDisconnectGraces', () => {
    const store = useStore(factory);
    const leave = (ref: typeof alice.phone, now: number) =>
      store().unregisterDevice({ ...ref, socketId: `sock-${ref.userId}-${ref.deviceId}`, now, graceMs: GRACE });

    it('ends the calls of a participant device that did not come back', async () => {
      await register(store(), alice.phone);
      await register(store(), bob.phone);
      const call = await active(store(), alice.phone, bob.phone);
      await leave(bob.phone, T0 + 2000);
      expect(await store().claimDisconnectGraces(T0 + 2000 + GRACE - 1, 10, RETAIN)).toEqual([]);
      const ended = await store().claimDisconnectGraces(T0 + 2000 + GRACE, 10, RETAIN);
      expect(ended).toHaveLength(1);
      expect(ended[0]?.call).toEqual({
        ...call,
        state: 'ended',
        endReason: 'disconnected',
        endedAt: T0 + 2000 + GRACE,
      });
      const changed = ended[0]?.inCallChanged ?? [];
      expect(usersOf(changed)).toEqual([alice.phone.userId, bob.phone.userId].sort());
      // Bob left: offline, last seen when he left.
      const bobNow = changed.find((p) => p.userId === bob.phone.userId);
      expect(bobNow).toEqual({ userId: bob.phone.userId, status: 'offline', lastSeen: T0 + 2000, inCall: false });
      expect(changed).toEqual(await store().getPresence(changed.map((p) => p.userId)));
      expect(await store().claimDisconnectGraces(T0 + 60_000, 10, RETAIN)).toEqual([]);
    });

    it('ends a ringing call whose calling device left', async () => {
      await register(store(), alice.phone);
      await register(store(), bob.phone);
      const call = await ringing(store(), alice.phone, bob.phone.userId);
      await leave(alice.phone, T0 + 10);
      const ended = await store().claimDisconnectGraces(T0 + 10 + GRACE, 10, RETAIN);
      expect(ended.map((e) => [e.call.callId, e.call.endReason])).toEqual([[call.callId, 'disconnected']]);
    });

    it('spares calls where the device is not a participant', async () => {
      await register(store(), alice.phone);
      await register(store(), alice.laptop);
      await register(store(), bob.phone);
      await register(store(), bob.laptop);
      // A ringing callee device, and a callee device that did not accept, are not participants.
      await ringing(store(), carol.phone, bob.phone.userId, { maxConcurrent: 2 });
      const call = await ringing(store(), alice.phone, bob.phone.userId, { maxConcurrent: 2 });
      await store().acceptCall(call.callId, bob.phone, undefined, T0 + 5);
      await leave(bob.laptop, T0 + 10);
      // Another device of the caller's user is not the calling device either.
      await leave(alice.laptop, T0 + 10);
      expect(await store().claimDisconnectGraces(T0 + 10 + GRACE, 10, RETAIN)).toEqual([]);
      expect(await store().listUserCalls(bob.phone.userId)).toHaveLength(2);
    });

    it('spares a device that re-registered within the grace', async () => {
      await register(store(), alice.phone);
      await register(store(), bob.phone);
      await active(store(), alice.phone, bob.phone);
      await leave(alice.phone, T0 + 10);
      await register(store(), alice.phone, { socketId: 'back', now: T0 + 20, nodeId: 'node-b' });
      expect(await store().claimDisconnectGraces(T0 + 10 + GRACE, 10, RETAIN)).toEqual([]);
      expect(await store().listUserCalls(alice.phone.userId)).toHaveLength(1);
    });

    it('claims each call exactly once across parallel claimers', async () => {
      const callIds: string[] = [];
      for (let i = 0; i < 5; i++) {
        const caller = { userId: `caller-${i}`, deviceId: 'd' };
        await register(store(), caller);
        callIds.push((await ringing(store(), caller, `callee-${i}`, { allowOffline: true })).callId);
        await leave(caller, T0 + i);
      }
      const rounds = await Promise.all(
        [1, 2, 3, 4].map(() => store().claimDisconnectGraces(T0 + GRACE + 10, 10, RETAIN)),
      );
      expect(
        rounds
          .flat()
          .map((e) => e.call.callId)
          .sort(),
      ).toEqual(callIds.sort());
    });
  });
}
