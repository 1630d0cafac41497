import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/server/src/store/memory/memory-store.js';
import { StoreUnavailableError } from '../../packages/server/src/store/store.js';
import { useNode } from '../support/in-process-node.js';
import { closeAll, connect, FAKE_SDP, uniqueUser } from '../support/test-client.js';

/** The memory store, with presence reads that can be made to fail. */
class FlakyPresenceStore extends MemoryStore {
  failPresence = false;
  override getPresence(userIds: readonly string[]) {
    if (this.failPresence) return Promise.reject(new StoreUnavailableError('presence read failed'));
    return super.getPresence(userIds);
  }
}

describe('a presence change made by a call', () => {
  const store = new FlakyPresenceStore();
  const node = useNode(store);

  it('is announced from what the change itself handed back, with no presence read', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const watcher = await connect(node().url, uniqueUser('watcher'));
    await watcher.request('presence_subscribe', { userIds: [alice.userId, bob.userId] });
    // A read would fail now: the invite, the cancel and their announcements must not need one.
    store.failPresence = true;
    try {
      const invite = await alice.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP });
      expect(invite).toMatchObject({ ok: true, callId: expect.any(String) });
      await bob.next('call_incoming', (p) => p.callId === invite.callId);
      for (const user of [alice, bob]) {
        await watcher.next('presence', (p) => p.userId === user.userId && p.inCall === true);
      }
      expect(await alice.request('call_cancel', { callId: invite.callId })).toEqual({ ok: true });
      await bob.next('call_ended', (p) => p.callId === invite.callId);
      for (const user of [alice, bob]) {
        await watcher.next('presence', (p) => p.userId === user.userId && p.inCall === false);
      }
    } finally {
      store.failPresence = false;
    }
    closeAll(alice, bob, watcher);
  });
});
