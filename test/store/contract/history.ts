import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HistoryRecord, Store } from '../../../packages/server/src/store/store.js';
import {
  active,
  alice,
  bob,
  carol,
  endInput,
  GRACE,
  invite,
  RETAIN,
  register,
  ringing,
  type StoreFactory,
  T0,
  useStore,
} from './fixtures.js';

const all = (store: Store, userId: string) => store.getHistory(userId, { limit: 100 });

/** Ends `count` separate alice -> bob calls at T0 + 1000, 2000, ... (in the order of `order`); returns their ids by end time. */
async function endedCalls(store: Store, endOffsets: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const offset of endOffsets) {
    const call = await ringing(store, alice.phone, bob.phone.userId, { allowOffline: true });
    const ended = await store.endCall(
      endInput(call.callId, { reason: 'cancelled', by: alice.phone, now: T0 + offset }),
    );
    if (!ended.ok) throw new Error('end failed');
    ids.push(call.callId);
  }
  return ids;
}

export function historyContract(factory: StoreFactory): void {
  describe('call history', () => {
    const store = useStore(factory);

    it('an answered call that ends leaves one record per user, with direction, peer, duration and devices', async () => {
      await register(store(), bob.phone);
      const call = await active(store(), alice.phone, bob.phone);
      const ended = await store().endCall(endInput(call.callId, { by: bob.phone, now: T0 + 5000 }));
      expect(ended.ok).toBe(true);
      const common = {
        callId: call.callId,
        media: 'audio',
        createdAt: T0,
        answeredAt: T0 + 1000,
        endedAt: T0 + 5000,
        durationMs: 4000,
        reason: 'hangup',
        endedBy: bob.phone,
      };
      expect(await all(store(), alice.phone.userId)).toEqual([
        { ...common, direction: 'outgoing', peer: { userId: bob.phone.userId }, deviceId: alice.phone.deviceId },
      ]);
      expect(await all(store(), bob.phone.userId)).toEqual([
        { ...common, direction: 'incoming', peer: { userId: alice.phone.userId }, deviceId: bob.phone.deviceId },
      ]);
      // Ending again fails and records nothing more.
      expect((await store().endCall(endInput(call.callId, { now: T0 + 6000 }))).ok).toBe(false);
      expect(await all(store(), alice.phone.userId)).toHaveLength(1);
      expect(await all(store(), bob.phone.userId)).toHaveLength(1);
    });

    it('a call never answered: duration 0, no answeredAt, no callee device', async () => {
      await register(store(), bob.phone);
      const call = await ringing(store(), alice.phone, bob.phone.userId, { media: 'video' });
      await store().endCall(
        endInput(call.callId, { from: ['ringing'], reason: 'busy', by: bob.laptop, now: T0 + 700 }),
      );
      const [mine] = await all(store(), alice.phone.userId);
      const [theirs] = await all(store(), bob.phone.userId);
      const common = {
        callId: call.callId,
        media: 'video',
        createdAt: T0,
        endedAt: T0 + 700,
        durationMs: 0,
        reason: 'busy',
        endedBy: bob.laptop,
      };
      expect(mine).toEqual({
        ...common,
        direction: 'outgoing',
        peer: { userId: bob.phone.userId },
        deviceId: alice.phone.deviceId,
      });
      expect(theirs).toEqual({ ...common, direction: 'incoming', peer: { userId: alice.phone.userId } });
    });

    it('ring timeouts and disconnect graces record too, with no endedBy', async () => {
      await register(store(), alice.phone);
      await register(store(), bob.phone);
      const timedOut = await ringing(store(), alice.phone, carol.phone.userId, {
        allowOffline: true,
        expiresAt: T0 + 1000,
        maxConcurrent: 2,
      });
      await store().claimRingTimeouts(T0 + 1000, 10, RETAIN);
      const dropped = await ringing(store(), bob.phone, alice.phone.userId, { maxConcurrent: 2 });
      const accepted = await store().acceptCall(dropped.callId, alice.phone, undefined, T0 + 2000);
      expect(accepted.ok).toBe(true);
      await store().unregisterDevice({
        ...bob.phone,
        socketId: `sock-${bob.phone.userId}-${bob.phone.deviceId}`,
        now: T0 + 3000,
        graceMs: GRACE,
      });
      expect(await store().claimDisconnectGraces(T0 + 3000 + GRACE, 10, RETAIN)).toHaveLength(1);

      expect(await all(store(), carol.phone.userId)).toEqual([
        {
          callId: timedOut.callId,
          direction: 'incoming',
          peer: { userId: alice.phone.userId },
          media: 'audio',
          createdAt: T0,
          endedAt: T0 + 1000,
          durationMs: 0,
          reason: 'timeout',
        },
      ]);
      const aliceHistory = await all(store(), alice.phone.userId);
      expect(aliceHistory.map((r) => [r.callId, r.direction, r.reason])).toEqual([
        [dropped.callId, 'incoming', 'disconnected'],
        [timedOut.callId, 'outgoing', 'timeout'],
      ]);
      expect(aliceHistory[0]).toEqual({
        callId: dropped.callId,
        direction: 'incoming',
        peer: { userId: bob.phone.userId },
        media: 'audio',
        createdAt: T0,
        answeredAt: T0 + 2000,
        endedAt: T0 + 3000 + GRACE,
        durationMs: 1000 + GRACE,
        reason: 'disconnected',
        deviceId: alice.phone.deviceId,
      });
      expect((await all(store(), bob.phone.userId)).map((r) => [r.callId, r.direction])).toEqual([
        [dropped.callId, 'outgoing'],
      ]);
    });

    it('refused invites and live calls leave no record; a user sees only their own calls', async () => {
      await register(store(), bob.phone);
      await ringing(store(), alice.phone, bob.phone.userId);
      expect(await invite(store(), carol.phone, bob.phone.userId)).toEqual({ ok: false, code: 'BUSY' });
      expect(await invite(store(), carol.phone, 'nobody')).toEqual({ ok: false, code: 'USER_OFFLINE' });
      expect(await all(store(), carol.phone.userId)).toEqual([]);
      expect(await all(store(), bob.phone.userId)).toEqual([]);
      const other = await ringing(store(), carol.phone, 'dave', { allowOffline: true });
      await store().endCall(endInput(other.callId, { reason: 'cancelled', by: carol.phone }));
      expect(await all(store(), alice.phone.userId)).toEqual([]);
      expect((await all(store(), 'dave')).map((r) => r.callId)).toEqual([other.callId]);
    });

    it('newest endedAt first whatever the end order; limit and before (strictly less) page through', async () => {
      const ids = await endedCalls(store(), [3000, 1000, 4000, 2000, 5000]);
      const byEnd = [ids[4], ids[2], ids[0], ids[3], ids[1]];
      const page = async (limit: number, before?: number) =>
        (await store().getHistory(bob.phone.userId, { limit, ...(before !== undefined && { before }) })).map(
          (r) => r.callId,
        );
      expect(await page(100)).toEqual(byEnd);
      expect(await page(2)).toEqual(byEnd.slice(0, 2));
      expect(await page(2, T0 + 4000)).toEqual(byEnd.slice(2, 4));
      expect(await page(2, T0 + 2000)).toEqual(byEnd.slice(4));
      expect(await page(2, T0 + 1000)).toEqual([]);
      expect(await page(100, T0 + 4001)).toEqual(byEnd.slice(1));
    });

    it('records with the same endedAt come greater callId first', async () => {
      const ids = await endedCalls(store(), [1000, 1000, 1000]);
      const sorted = [...ids].sort().reverse();
      expect((await all(store(), alice.phone.userId)).map((r) => r.callId)).toEqual(sorted);
    });

    it('keeps only the newest historyMaxPerUser records per user', async () => {
      const { store: capped, cleanup } = await factory({ historyMaxPerUser: 3 });
      try {
        const ids = await endedCalls(capped, [1000, 2000, 3000, 4000]);
        const history = (r: HistoryRecord[]) => r.map((x) => x.callId);
        expect(history(await all(capped, alice.phone.userId))).toEqual([ids[3], ids[2], ids[1]]);
        expect(history(await all(capped, bob.phone.userId))).toEqual([ids[3], ids[2], ids[1]]);
        // One older than all kept ones is dropped at once.
        const old = await endedCalls(capped, [500]);
        expect(history(await all(capped, alice.phone.userId))).toEqual([ids[3], ids[2], ids[1]]);
        expect(history(await all(capped, alice.phone.userId))).not.toContain(old[0]);
        const fresh = await endedCalls(capped, [9000]);
        expect(history(await all(capped, bob.phone.userId))).toEqual([fresh[0], ids[3], ids[2]]);
      } finally {
        await cleanup();
      }
    });

    it('records outlive the ended call itself', async () => {
      const call = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true, callId: randomUUID() });
      await store().endCall(endInput(call.callId, { reason: 'cancelled', by: alice.phone, retainMs: 1 }));
      await new Promise((r) => setTimeout(r, 30));
      expect(await store().getCall(call.callId)).toBeNull();
      expect((await all(store(), bob.phone.userId)).map((r) => r.callId)).toEqual([call.callId]);
    });

    it('marks a call pushed only when it rings a callee with no device', async () => {
      const offline = await ringing(store(), alice.phone, bob.phone.userId, { allowOffline: true });
      expect(offline.pushed).toBe(true);
      expect((await store().getCall(offline.callId))?.pushed).toBe(true);
      await register(store(), carol.phone);
      const online = await ringing(store(), alice.laptop, carol.phone.userId, { allowOffline: true, maxConcurrent: 2 });
      expect(online.pushed).toBeUndefined();
      expect((await store().getCall(online.callId))?.pushed).toBeUndefined();
    });
  });
}
