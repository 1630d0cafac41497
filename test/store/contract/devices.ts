import { describe, expect, it } from 'vitest';
import {
  active,
  alice,
  bob,
  byDevice,
  carol,
  GRACE,
  RETAIN,
  register,
  type StoreFactory,
  T0,
  TTL,
  useStore,
} from './fixtures.js';

export function nodeContract(factory: StoreFactory): void {
  describe('nodes', () => {
    const store = useStore(factory);

    it('refreshNode answers false for an unknown node, true once known, false again after removeNode', async () => {
      expect(await store().refreshNode('node-a', T0, 10_000)).toBe(false);
      expect(await store().refreshNode('node-a', T0 + 3000, 10_000)).toBe(true);
      await store().removeNode('node-a');
      expect(await store().refreshNode('node-a', T0 + 6000, 10_000)).toBe(false);
    });

    it('removeNode leaves the node devices registered', async () => {
      await store().refreshNode('node-a', T0, 10_000);
      await register(store(), alice.phone, { nodeId: 'node-a' });
      await store().removeNode('node-a');
      expect(await store().listDevices(alice.phone.userId)).toHaveLength(1);
    });

    it('sweepDeadNodes removes only dead nodes and their devices, each node exactly once', async () => {
      await store().refreshNode('node-a', T0, 10_000);
      await store().refreshNode('node-b', T0, 20_000);
      await register(store(), alice.phone, { nodeId: 'node-a', socketId: 's1' });
      await register(store(), alice.laptop, { nodeId: 'node-b', socketId: 's2' });
      await register(store(), bob.phone, { nodeId: 'node-a', socketId: 's3' });

      expect(await store().sweepDeadNodes(T0 + 9999, GRACE)).toEqual([]);
      const sweeps = await Promise.all([1, 2, 3].map(() => store().sweepDeadNodes(T0 + 10_000, GRACE)));
      const removed = sweeps.flat().sort(byDevice);
      expect(removed).toEqual([
        { ...alice.phone, nodeId: 'node-a', socketId: 's1', wentOffline: false },
        { ...bob.phone, nodeId: 'node-a', socketId: 's3', wentOffline: true },
      ]);
      expect(await store().listDevices(alice.phone.userId)).toMatchObject([alice.laptop]);
      expect(await store().getPresence([bob.phone.userId])).toEqual([
        { userId: bob.phone.userId, status: 'offline', lastSeen: T0 + 10_000, inCall: false },
      ]);
      expect(await store().refreshNode('node-a', T0 + 10_001, 10_000)).toBe(false);
      expect(await store().refreshNode('node-b', T0 + 10_001, 10_000)).toBe(true);
    });

    it('sweepDeadNodes spares a device that moved to a live node meanwhile', async () => {
      await store().refreshNode('node-a', T0, 10_000);
      await store().refreshNode('node-b', T0, 60_000);
      await register(store(), alice.phone, { nodeId: 'node-a', socketId: 's1' });
      await register(store(), alice.phone, { nodeId: 'node-b', socketId: 's2', now: T0 + 5000 });
      expect(await store().sweepDeadNodes(T0 + 10_000, GRACE)).toEqual([]);
      expect(await store().listDevices(alice.phone.userId)).toMatchObject([{ socketId: 's2', nodeId: 'node-b' }]);
    });

    it('sweepDeadNodes schedules each removed device disconnect grace', async () => {
      await store().refreshNode('node-a', T0, 10_000);
      await register(store(), alice.phone, { nodeId: 'node-a' });
      await register(store(), bob.phone, { nodeId: 'node-b' });
      const call = await active(store(), alice.phone, bob.phone);
      await store().sweepDeadNodes(T0 + 10_000, GRACE);
      expect(await store().claimDisconnectGraces(T0 + 10_000 + GRACE - 1, 10, RETAIN)).toEqual([]);
      const ended = await store().claimDisconnectGraces(T0 + 10_000 + GRACE, 10, RETAIN);
      expect(ended.map((e) => [e.call.callId, e.call.endReason])).toEqual([[call.callId, 'disconnected']]);
    });
  });
}

export function deviceContract(factory: StoreFactory): void {
  describe('devices and presence', () => {
    const store = useStore(factory);

    it('registerDevice reports cameOnline only for the first device of a user', async () => {
      expect(await register(store(), alice.phone)).toEqual({ cameOnline: true });
      expect(await register(store(), alice.laptop)).toEqual({ cameOnline: false });
      const devices = (await store().listDevices(alice.phone.userId)).sort(byDevice);
      expect(devices).toEqual(
        [alice.laptop, alice.phone]
          .map((ref) => ({ ...ref, socketId: `sock-${ref.userId}-${ref.deviceId}`, nodeId: 'node-a', connectedAt: T0 }))
          .sort(byDevice),
      );
    });

    it('a new socket for the same device replaces the old one and reports it', async () => {
      await register(store(), alice.phone, { socketId: 'old', nodeId: 'node-a' });
      const again = await register(store(), alice.phone, { socketId: 'old', nodeId: 'node-a', now: T0 + 1 });
      expect(again).toEqual({ cameOnline: false });
      const result = await register(store(), alice.phone, { socketId: 'new', nodeId: 'node-b', now: T0 + 2 });
      expect(result).toEqual({
        cameOnline: false,
        replaced: { ...alice.phone, socketId: 'old', nodeId: 'node-a', connectedAt: T0 + 1 },
      });
      expect(await store().listDevices(alice.phone.userId)).toEqual([
        { ...alice.phone, socketId: 'new', nodeId: 'node-b', connectedAt: T0 + 2 },
      ]);
    });

    it("a replaced socket's late unregister removes nothing", async () => {
      await register(store(), alice.phone, { socketId: 'old' });
      await register(store(), alice.phone, { socketId: 'new' });
      const result = await store().unregisterDevice({ ...alice.phone, socketId: 'old', now: T0 + 5, graceMs: GRACE });
      expect(result).toEqual({ removed: false, wentOffline: false });
      expect(await store().listDevices(alice.phone.userId)).toMatchObject([{ socketId: 'new' }]);
      expect((await store().getPresence([alice.phone.userId]))[0]?.status).toBe('online');
    });

    it('unregistering an unknown device removes nothing', async () => {
      const result = await store().unregisterDevice({ ...carol.phone, socketId: 'x', now: T0, graceMs: GRACE });
      expect(result).toEqual({ removed: false, wentOffline: false });
    });

    it('the last device leaving makes the user offline with lastSeen = now', async () => {
      await register(store(), alice.phone, { socketId: 's1' });
      await register(store(), alice.laptop, { socketId: 's2' });
      const first = await store().unregisterDevice({ ...alice.phone, socketId: 's1', now: T0 + 100, graceMs: GRACE });
      expect(first).toEqual({ removed: true, wentOffline: false });
      expect(await store().getPresence([alice.phone.userId])).toEqual([
        { userId: alice.phone.userId, status: 'online', inCall: false },
      ]);
      const last = await store().unregisterDevice({ ...alice.laptop, socketId: 's2', now: T0 + 200, graceMs: GRACE });
      expect(last).toEqual({ removed: true, wentOffline: true });
      expect(await store().getPresence([alice.phone.userId])).toEqual([
        { userId: alice.phone.userId, status: 'offline', lastSeen: T0 + 200, inCall: false },
      ]);
      expect(await store().listDevices(alice.phone.userId)).toEqual([]);
      // Back within its grace: the registration reports when that grace would have ended.
      expect(await register(store(), alice.phone, { now: T0 + 300 })).toEqual({
        cameOnline: true,
        graceEndsAt: T0 + 100 + GRACE,
      });
      expect(await store().getPresence([alice.phone.userId])).toEqual([
        { userId: alice.phone.userId, status: 'online', inCall: false },
      ]);
    });

    it('touchDevice extends only the current socket, and says whether another holds the device', async () => {
      await register(store(), alice.phone, { socketId: 's1', ttlMs: 1000 });
      expect(await store().touchDevice(alice.phone, 'other', T0 + 800, 1000)).toBe('replaced');
      expect(await store().touchDevice(alice.phone, 's1', T0 + 800, 1000)).toBe('extended');
      expect(await store().expireDevices(T0 + 1500, GRACE, 10)).toEqual([]);
      expect(await store().expireDevices(T0 + 1800, GRACE, 10)).toEqual([
        { ...alice.phone, nodeId: 'node-a', socketId: 's1', wentOffline: true },
      ]);
      expect(await store().touchDevice(alice.phone, 's1', T0 + 1900, 1000)).toBe('absent');
      expect(await store().touchDevice(carol.phone, 's1', T0 + 1900, 1000)).toBe('absent');
    });

    it('a replaced socket touching the device neither extends it nor changes who holds it', async () => {
      await register(store(), alice.phone, { socketId: 's1', ttlMs: 1000 });
      await register(store(), alice.phone, { socketId: 's2', ttlMs: 1000, now: T0 + 100 });
      expect(await store().touchDevice(alice.phone, 's1', T0 + 800, 5000)).toBe('replaced');
      expect((await store().listDevices(alice.phone.userId)).map((d) => d.socketId)).toEqual(['s2']);
      // Only s2's own liveness counts: it ends at T0 + 1100, as registered.
      expect(await store().expireDevices(T0 + 1200, GRACE, 10)).toEqual([
        { ...alice.phone, nodeId: 'node-a', socketId: 's2', wentOffline: true },
      ]);
    });

    it('touchDevice calls made together each get their own answer', async () => {
      await register(store(), alice.phone, { socketId: 's1', ttlMs: 1000 });
      await register(store(), alice.laptop, { socketId: 's2', ttlMs: 1000 });
      await register(store(), bob.phone, { socketId: 's3', ttlMs: 1000 });
      // More than one refresh script holds, as a burst of pongs would send.
      const many = Array.from({ length: 450 }, (_, i) =>
        store().touchDevice(i % 2 ? alice.phone : bob.phone, i % 2 ? 's1' : 's3', T0 + 800, 1000),
      );
      const answers = await Promise.all([
        store().touchDevice(alice.phone, 's1', T0 + 800, 1000),
        store().touchDevice(alice.laptop, 'stale', T0 + 800, 1000),
        store().touchDevice(carol.phone, 's9', T0 + 800, 1000),
        ...many,
      ]);
      expect(answers.slice(0, 3)).toEqual(['extended', 'replaced', 'absent']);
      expect(answers.slice(3).every((a) => a === 'extended')).toBe(true);
      // Only the refreshed devices outlive their first liveness.
      expect(await store().expireDevices(T0 + 1500, GRACE, 10)).toEqual([
        { ...alice.laptop, nodeId: 'node-a', socketId: 's2', wentOffline: false },
      ]);
      expect(await store().expireDevices(T0 + 1800, GRACE, 10)).toHaveLength(2);
    });

    it('expireDevices removes devices past their liveness, up to the limit, once', async () => {
      await register(store(), alice.phone, { socketId: 's1', ttlMs: 1000 });
      await register(store(), alice.laptop, { socketId: 's2', ttlMs: 1000 });
      await register(store(), bob.phone, { socketId: 's3', ttlMs: 1000 });
      await register(store(), bob.laptop, { socketId: 's4', ttlMs: 5000 });
      expect(await store().expireDevices(T0 + 999, GRACE, 10)).toEqual([]);
      const first = await store().expireDevices(T0 + 1000, GRACE, 2);
      expect(first).toHaveLength(2);
      const rest = await Promise.all([
        store().expireDevices(T0 + 1000, GRACE, 10),
        store().expireDevices(T0 + 1000, GRACE, 10),
      ]);
      const removed = [...first, ...rest.flat()].sort(byDevice);
      expect(removed.map(({ userId, deviceId }) => ({ userId, deviceId }))).toEqual(
        [alice.phone, alice.laptop, bob.phone].sort(byDevice),
      );
      expect(removed.filter((r) => r.wentOffline).map((r) => r.userId)).toEqual([alice.phone.userId]);
      expect(await store().getPresence([alice.phone.userId, bob.phone.userId])).toEqual([
        { userId: alice.phone.userId, status: 'offline', lastSeen: T0 + 1000, inCall: false },
        { userId: bob.phone.userId, status: 'online', inCall: false },
      ]);
    });

    it('getPresence answers in the order asked, with inCall while a call rings or is active', async () => {
      await register(store(), alice.phone);
      await register(store(), bob.phone);
      const call = await active(store(), alice.phone, bob.phone);
      const users = [carol.phone.userId, bob.phone.userId, alice.phone.userId];
      expect(await store().getPresence(users)).toEqual([
        { userId: carol.phone.userId, status: 'offline', inCall: false },
        { userId: bob.phone.userId, status: 'online', inCall: true },
        { userId: alice.phone.userId, status: 'online', inCall: true },
      ]);
      await store().endCall({
        callId: call.callId,
        from: ['active'],
        reason: 'hangup',
        now: T0 + 2000,
        retainMs: RETAIN,
      });
      expect((await store().getPresence(users)).map((p) => p.inCall)).toEqual([false, false, false]);
      expect(await store().getPresence([])).toEqual([]);
    });

    it('registering again cancels the pending disconnect grace', async () => {
      await register(store(), alice.phone, { socketId: 's1' });
      await register(store(), bob.phone);
      await active(store(), alice.phone, bob.phone);
      await store().unregisterDevice({ ...alice.phone, socketId: 's1', now: T0 + 2000, graceMs: GRACE });
      await register(store(), alice.phone, { socketId: 's2', now: T0 + 3000, ttlMs: TTL });
      expect(await store().claimDisconnectGraces(T0 + 2000 + GRACE, 10, RETAIN)).toEqual([]);
      expect(await store().listUserCalls(alice.phone.userId)).toHaveLength(1);
    });
  });
}
