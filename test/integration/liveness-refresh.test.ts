import type { DeviceRef } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/server/src/store/memory/memory-store.js';
import { type RegisterDeviceInput, StoreUnavailableError } from '../../packages/server/src/store/store.js';
import { useNode } from '../support/in-process-node.js';
import { closeAll, connect, ringingCall, sleep, uniqueUser } from '../support/test-client.js';

/** The memory store, counting liveness refreshes, and failing the registrations it is told to. */
class CountingStore extends MemoryStore {
  touches = 0;
  readonly failRegistrationOf = new Set<string>();
  override touchDevice(ref: DeviceRef, socketId: string, now: number, ttlMs: number) {
    this.touches++;
    return super.touchDevice(ref, socketId, now, ttlMs);
  }
  /** Registrations of these users wait for the promise. */
  readonly holdRegistrationOf = new Map<string, Promise<void>>();
  override async registerDevice(input: RegisterDeviceInput) {
    if (this.failRegistrationOf.delete(input.userId)) throw new StoreUnavailableError('test: down');
    await this.holdRegistrationOf.get(input.userId);
    return super.registerDevice(input);
  }
  /** Reads of these calls wait for the promise. */
  readonly holdGetCallOf = new Map<string, Promise<void>>();
  override async getCall(callId: string) {
    await this.holdGetCallOf.get(callId);
    return super.getCall(callId);
  }
}

/** Device `x` of the user, as another node's socket `socketId` registered it. */
function holdElsewhere(store: MemoryStore, userId: string, socketId: string) {
  return store.registerDevice({ userId, deviceId: 'x', socketId, nodeId: 'node-2', now: Date.now(), ttlMs: 60_000 });
}

/** Who the store says holds the device: its socket ids. */
async function holders(store: MemoryStore, userId: string): Promise<string[]> {
  return (await store.listDevices(userId)).map((d) => d.socketId);
}

// A 4 s TTL: pongs refresh liveness at most every 1,333 ms, and Socket.IO pings every 2 s.
describe('liveness refreshes', () => {
  const store = new CountingStore();
  const node = useNode(store, { PRESENCE_TTL_MS: '4000' });

  /** Device `x` of the user, connected while its registration fails (as while the store is down). */
  function connectUnregistered(userId: string) {
    store.failRegistrationOf.add(userId);
    return connect(node().url, userId, { deviceId: 'x' });
  }

  /** Another node's socket registers the device a little after this moment. */
  async function replaceLater(userId: string) {
    await sleep(10);
    await holdElsewhere(store, userId, 'later');
  }

  it('a pong right after a heartbeat does not refresh again; a late one does', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const [socket] = node().node.io.of('/').sockets.values();
    if (!socket) throw new Error('no server socket');
    // Past the pong interval since the connection, before Socket.IO's first ping.
    await sleep(1400);
    const before = store.touches;
    expect(await alice.request('heartbeat', {})).toMatchObject({ ok: true });
    expect(store.touches - before).toBe(1);
    // What Engine.IO emits when a pong arrives.
    socket.conn.emit('heartbeat');
    expect(store.touches - before).toBe(1);
    await sleep(1400);
    socket.conn.emit('heartbeat');
    expect(store.touches - before).toBe(2);
    closeAll(alice);
  });

  it('a socket replaced elsewhere, whose disconnect never came, closes at its next refresh', async () => {
    const bob = await connect(node().url, uniqueUser('bob'), { deviceId: 'x' });
    // What a replacement on another node leaves when its disconnect publish is lost.
    await holdElsewhere(store, bob.userId, 'replacement');
    const gone = bob.disconnected();
    bob.request('heartbeat', {}).catch(() => {});
    expect(await gone).toBe('io server disconnect');
    // Not registered again over its replacement, and its disconnect removed nothing.
    await sleep(100);
    expect(await holders(store, bob.userId)).toEqual(['replacement']);
  });

  it('a socket whose registration failed takes the device over from a stale record at its next refresh', async () => {
    const userId = uniqueUser('carol');
    await holdElsewhere(store, userId, 'stale');
    const carol = await connectUnregistered(userId);
    expect(await holders(store, userId)).toEqual(['stale']);
    expect(await carol.request('heartbeat', {})).toMatchObject({ ok: true });
    expect(carol.socket.connected).toBe(true);
    expect(await holders(store, userId)).toEqual([carol.socket.id]);
    closeAll(carol);
  });

  it('a resync leaves a socket whose registration is under way to that registration', async () => {
    const userId = uniqueUser('dave');
    // The device's previous socket, not yet removed from the store.
    await holdElsewhere(store, userId, 'previous');
    let release = () => {};
    store.holdRegistrationOf.set(userId, new Promise<void>((r) => (release = r)));
    const connecting = connect(node().url, userId, { deviceId: 'x' });
    while (
      ![...node().node.io.of('/').sockets.values()].some((s) => s.connected && s.data?.device?.userId === userId)
    ) {
      await sleep(20);
    }
    // What the node runs when the store comes back or forgot it.
    await node().node.resyncLocalDevices();
    release();
    const dave = await connecting;
    expect(dave.socket.connected).toBe(true);
    expect(await holders(store, userId)).toEqual([dave.socket.id]);
    closeAll(dave);
  });

  it('a socket whose registration failed gives way to one registered after it connected', async () => {
    const userId = uniqueUser('erin');
    const erin = await connectUnregistered(userId);
    await replaceLater(userId);
    const gone = erin.disconnected();
    erin.request('heartbeat', {}).catch(() => {});
    expect(await gone).toBe('io server disconnect');
    expect(await holders(store, userId)).toEqual(['later']);
  });

  it('a resync registers a socket whose registration failed over an older record, and closes one a later socket replaced', async () => {
    const older = uniqueUser('frank');
    await holdElsewhere(store, older, 'older');
    await sleep(10);
    const frank = await connectUnregistered(older);
    const replaced = uniqueUser('gina');
    const gina = await connectUnregistered(replaced);
    await replaceLater(replaced);
    const ginaGone = gina.disconnected();

    await node().node.resyncLocalDevices();
    expect(await ginaGone).toBe('io server disconnect');
    expect(await holders(store, replaced)).toEqual(['later']);
    expect(frank.socket.connected).toBe(true);
    expect(await holders(store, older)).toEqual([frank.socket.id]);
    closeAll(frank);
  });

  it("a resync tells each device what it missed without waiting on another device's reads", async () => {
    // One at a time, so that the node's sockets are in this order.
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const carol = await connect(node().url, uniqueUser('carol'));
    const dan = await connect(node().url, uniqueUser('dan'));
    const { callId: first } = await ringingCall(alice, [bob]);
    const { callId: second } = await ringingCall(carol, [dan]);
    // Both end in the store and nobody is told, as when the end's publish
    // was lost in an outage. Ended long enough ago that no wait applies.
    for (const callId of [first, second]) {
      const now = Date.now() - 10_000;
      expect(
        await store.endCall({ callId, from: ['ringing'], reason: 'cancelled', now, retainMs: 60_000 }),
      ).toMatchObject({
        ok: true,
      });
    }
    let release = () => {};
    store.holdGetCallOf.set(first, new Promise<void>((r) => (release = r)));

    const resync = node().node.resyncLocalDevices();
    expect(await carol.next('call_ended', (p) => p.callId === second)).toMatchObject({ reason: 'cancelled' });
    expect(await dan.next('call_ended', (p) => p.callId === second)).toMatchObject({ reason: 'cancelled' });
    expect(alice.all('call_ended')).toEqual([]);
    release();
    await resync;
    expect(await alice.next('call_ended', (p) => p.callId === first)).toMatchObject({ reason: 'cancelled' });
    expect(await bob.next('call_ended', (p) => p.callId === first)).toMatchObject({ reason: 'cancelled' });
    closeAll(alice, bob, carol, dan);
  });
});
