import type { DeviceRef } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/server/src/store/memory/memory-store.js';
import { useNode } from '../support/in-process-node.js';
import { closeAll, connect, sleep, uniqueUser } from '../support/test-client.js';

/** The memory store, counting liveness refreshes. */
class CountingStore extends MemoryStore {
  touches = 0;
  override touchDevice(ref: DeviceRef, socketId: string, now: number, ttlMs: number) {
    this.touches++;
    return super.touchDevice(ref, socketId, now, ttlMs);
  }
}

// A 4 s TTL: pongs refresh liveness at most every 1,333 ms, and Socket.IO pings every 2 s.
describe('liveness refreshes', () => {
  const store = new CountingStore();
  const node = useNode(store, { PRESENCE_TTL_MS: '4000' });

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
});
