import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/server/src/store/memory/memory-store.js';
import { StoreUnavailableError } from '../../packages/server/src/store/store.js';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { closeAll, connect, FAKE_SDP, uniqueUser } from '../support/test-client.js';

/** The memory store, with presence reads that can be made to fail. */
class FlakyPresenceStore extends MemoryStore {
  failPresence = false;
  override getPresence(userIds: readonly string[]) {
    if (this.failPresence) return Promise.reject(new StoreUnavailableError('presence read failed'));
    return super.getPresence(userIds);
  }
}

describe('a presence change that cannot be announced', () => {
  let node: InProcessNode;
  const store = new FlakyPresenceStore();
  beforeAll(async () => {
    node = await startNode({}, store);
  });
  afterAll(() => node.close());

  it('fails neither the invite nor the hang-up that made it', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    store.failPresence = true;
    const invite = await alice.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP });
    expect(invite).toMatchObject({ ok: true, callId: expect.any(String) });
    await bob.next('call_incoming', (p) => p.callId === invite.callId);
    expect(await alice.request('call_cancel', { callId: invite.callId })).toEqual({ ok: true });
    await bob.next('call_ended', (p) => p.callId === invite.callId);
    store.failPresence = false;
    closeAll(alice, bob);
  });
});
