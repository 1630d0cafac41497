import { describe, expect, it } from 'vitest';
import { PEER_REFRESH_MS, PEER_TRUST_MS } from '../../packages/server/src/transport/call-tracker.js';
import { CallReadCountingStore } from '../support/call-read-counting-store.js';
import { useNode } from '../support/in-process-node.js';
import { activeCall, closeAll, connect, ref, sleep, uniqueUser } from '../support/test-client.js';

describe('relay of an active call without a store read per message', () => {
  const store = new CallReadCountingStore();
  const node = useNode(store);

  it('the answer confirms the peer on both sides; past the trust window one read confirms it again', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const before = store.summaryReads;
    // Neither the answer nor the hang-up below reads the call to check a role:
    // both devices were told of it by this node.
    const callId = await activeCall(alice, [bob]);
    for (let i = 0; i < 20; i++) {
      expect(await alice.request('ice_candidate', { callId, candidate: { candidate: `a${i}` } })).toEqual({ ok: true });
    }
    expect(await alice.request('sdp_offer', { callId, sdp: 'offer-2' })).toEqual({ ok: true });
    expect(await bob.request('ice_candidate', { callId, candidate: { candidate: 'b0' } })).toEqual({ ok: true });
    expect(store.summaryReads - before).toBe(0);
    await bob.next('sdp_offer', (p) => p.sdp === 'offer-2');
    expect(bob.all('ice_candidate').map((p) => p.candidate?.candidate)).toEqual(
      Array.from({ length: 20 }, (_, i) => `a${i}`),
    );
    await alice.next('ice_candidate', (p) => p.candidate?.candidate === 'b0');

    // Once the window has passed, the next message of each side checks the store again.
    await sleep(PEER_TRUST_MS + 50);
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'late' } })).toEqual({ ok: true });
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'later' } })).toEqual({ ok: true });
    expect(await bob.request('ice_candidate', { callId, candidate: { candidate: 'late' } })).toEqual({ ok: true });
    expect(store.summaryReads - before).toBe(2);
    expect(await bob.request('call_end', { callId })).toEqual({ ok: true });
    expect(store.summaryReads - before).toBe(2);
    await alice.next('call_ended', (p) => p.callId === callId);
    closeAll(alice, bob);
  });

  it('a steady stream is confirmed again in the background and never waits for a read', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    const send = (candidate: string) => alice.request('ice_candidate', { callId, candidate: { candidate } });

    // Past half the trust the answer gave: relayed at once, and one read starts.
    await sleep(PEER_REFRESH_MS + 50);
    const before = store.summaryReads;
    let release = store.holdReads();
    expect(await send('s1')).toEqual({ ok: true });
    // The read waits for others for up to 50 ms, then is held by the store.
    await expect.poll(() => store.summaryReads - before).toBe(1);
    expect(await send('s2')).toEqual({ ok: true });
    expect(store.summaryReads - before).toBe(1);
    release();

    // Past the answer's whole window, the read above still covers the stream:
    // the message does not wait for the next read, which it starts.
    await sleep(PEER_TRUST_MS - PEER_REFRESH_MS + 50);
    release = store.holdReads();
    expect(await send('s3')).toEqual({ ok: true });
    await expect.poll(() => store.summaryReads - before).toBe(2);
    release();
    await bob.next('ice_candidate', (p) => p.candidate?.candidate === 's3');
    expect(bob.all('ice_candidate').map((p) => p.candidate?.candidate)).toEqual(['s1', 's2', 's3']);
    closeAll(alice, bob);
  });

  it('a background read that finds the call ended stops the relay, though the end event was lost', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    // The call ends in the store, and its call_ended never reaches the node.
    const ended = await store.endCall({
      callId,
      from: ['active'],
      reason: 'hangup',
      by: ref(bob),
      now: Date.now(),
      retainMs: 60_000,
    });
    expect(ended.ok).toBe(true);
    await sleep(PEER_REFRESH_MS + 50);
    // Still within the trust: relayed, and the read it starts finds the end.
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'e1' } })).toEqual({ ok: true });
    await sleep(150);
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'e2' } })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE' },
    });
    closeAll(alice, bob);
  });

  it('reads the call once for a burst sent before the first answer, and relays it in order', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    // Past the trust the answer gave, so the burst's first message must check.
    await sleep(PEER_TRUST_MS + 50);
    const before = store.summaryReads;
    const sent = Array.from({ length: 8 }, (_, i) =>
      alice.request('ice_candidate', { callId, candidate: { candidate: `b${i}` } }),
    );
    expect(await Promise.all(sent)).toEqual(Array.from({ length: 8 }, () => ({ ok: true })));
    expect(store.summaryReads - before).toBe(1);
    await bob.next('ice_candidate', (p) => p.candidate?.candidate === 'b7');
    expect(bob.all('ice_candidate').map((p) => p.candidate?.candidate)).toEqual(
      Array.from({ length: 8 }, (_, i) => `b${i}`),
    );
    closeAll(alice, bob);
  });

  it('a burst from a device that is no participant is refused message by message', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const mallory = await connect(node().url, uniqueUser('mallory'));
    const callId = await activeCall(alice, [bob]);
    const sent = Array.from({ length: 3 }, (_, i) =>
      mallory.request('ice_candidate', { callId, candidate: { candidate: `m${i}` } }),
    );
    for (const answer of await Promise.all(sent)) {
      expect(answer).toMatchObject({ ok: false, error: { code: 'NOT_PARTICIPANT' } });
    }
    expect(bob.all('ice_candidate')).toEqual([]);
    closeAll(alice, bob, mallory);
  });

  it('refuses at once after the call ended, for both participants, within the window', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'c1' } })).toEqual({ ok: true });
    expect(await bob.request('ice_candidate', { callId, candidate: { candidate: 'c2' } })).toEqual({ ok: true });
    expect(await bob.request('call_end', { callId })).toEqual({ ok: true });
    const refused = { ok: false, error: { code: 'INVALID_STATE' } };
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'c3' } })).toMatchObject(refused);
    expect(await bob.request('ice_candidate', { callId, candidate: { candidate: 'c4' } })).toMatchObject(refused);
    expect(await alice.request('sdp_offer', { callId, sdp: 'offer-3' })).toMatchObject(refused);
    closeAll(alice, bob);
  });

  it('a third device never rides on a participant’s window', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'c1' } })).toEqual({ ok: true });
    const bobTablet = await connect(node().url, bob.userId, { deviceId: 'tablet' });
    expect(await bobTablet.request('ice_candidate', { callId, candidate: { candidate: 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'NOT_PARTICIPANT' },
    });
    closeAll(alice, bob, bobTablet);
  });

  it('on a node of its own, writes relayed messages to the peer’s socket without a broadcast', async () => {
    const alice = await connect(node().url, uniqueUser('alice'));
    const bob = await connect(node().url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    const adapter = node().node.io.of('/').adapter;
    const broadcast = adapter.broadcast.bind(adapter);
    let broadcasts = 0;
    adapter.broadcast = (...args) => {
      broadcasts++;
      broadcast(...args);
    };
    try {
      for (let i = 0; i < 5; i++) {
        expect(await alice.request('ice_candidate', { callId, candidate: { candidate: `d${i}` } })).toEqual({
          ok: true,
        });
      }
      expect(await bob.request('sdp_answer', { callId, sdp: 'answer-2' })).toEqual({ ok: true });
      await alice.next('sdp_answer', (p) => p.sdp === 'answer-2');
      expect(bob.all('ice_candidate').map((p) => p.candidate?.candidate)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
      expect(broadcasts).toBe(0);
    } finally {
      adapter.broadcast = broadcast;
    }
    closeAll(alice, bob);
  });
});
