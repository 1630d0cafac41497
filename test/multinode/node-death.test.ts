import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import {
  activeCall,
  closeAll,
  connect,
  FAKE_SDP,
  ringingCall,
  settle,
  type TestClient,
  uniqueUser,
} from '../support/test-client.js';
import { type Env, EVENT_MS, NODE_TTL_MS, presenceOf, RECONNECT_GRACE_MS, since, startEnv } from './helpers.js';

/** The contract's bound on a dead node's calls ending. */
const CALL_END_LIMIT_MS = NODE_TTL_MS + RECONNECT_GRACE_MS + 2000;

describe.skipIf(!redisServerAvailable)('a node SIGKILLed with calls under way', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(3);
  });
  afterAll(async () => {
    await env?.close();
  });

  /** Both users can reach each other again, in both directions: nobody is stuck busy. */
  async function callBothWays(a: TestClient, b: TestClient): Promise<void> {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const { callId } = await ringingCall(from, [to]);
      expect(await to.request('call_accept', { callId, sdp: 'answer' })).toEqual({ ok: true });
      await from.next('call_accepted', (p) => p.callId === callId, EVENT_MS);
      expect(await from.request('call_end', { callId })).toEqual({ ok: true });
      await to.next('call_ended', (p) => p.callId === callId, EVENT_MS);
    }
  }

  it("ends a ringing call whose caller's node died, and frees both users", async () => {
    const [n1, n2, n3] = env.nodes;
    const doomed = await env.cluster.add('node-dies-ringing');
    const aliceId = uniqueUser('alice');
    const alice = await connect(doomed.url, aliceId, { deviceId: 'a' });
    const bobPhone = await connect(n2!.url, uniqueUser('bob'), { deviceId: 'phone' });
    const bobLaptop = await connect(n3!.url, bobPhone.userId, { deviceId: 'laptop' });
    const watcher = await connect(n1!.url, uniqueUser('watcher'));
    await watcher.request('presence_subscribe', { userIds: [aliceId, bobPhone.userId] });
    const { callId } = await ringingCall(alice, [bobPhone, bobLaptop]);
    await watcher.next('presence', presenceOf(bobPhone.userId, 'online', true), EVENT_MS);

    const killedAt = Date.now();
    await doomed.kill();
    const offline = watcher
      .next('presence', presenceOf(aliceId, 'offline'), CALL_END_LIMIT_MS + 2000)
      .then(() => since(killedAt));
    for (const device of [bobPhone, bobLaptop]) {
      expect(await device.next('call_ended', (p) => p.callId === callId, CALL_END_LIMIT_MS + 2000)).toEqual({
        callId,
        reason: 'disconnected',
      });
    }
    const endedAfter = since(killedAt);
    const offlineAfter = await offline;
    console.info(
      `ringing call: disconnected ${endedAfter} ms after SIGKILL (limit ${CALL_END_LIMIT_MS}); caller offline by ${offlineAfter} ms`,
    );
    expect(endedAfter).toBeLessThanOrEqual(CALL_END_LIMIT_MS);
    expect(offlineAfter).toBeLessThanOrEqual(NODE_TTL_MS + 2000);
    await watcher.next('presence', presenceOf(bobPhone.userId, 'online', false), EVENT_MS);

    const aliceBack = await connect(n1!.url, aliceId, { deviceId: 'a' });
    await settle(300);
    expect(aliceBack.all('call_resumed')).toHaveLength(0);
    expect(bobPhone.all('call_ended')).toHaveLength(1);
    await callBothWays(aliceBack, bobPhone);
    closeAll(aliceBack, bobPhone, bobLaptop, watcher);
  });

  it("ends an active call whose callee's node died, and frees both users", async () => {
    const [n1, n2] = env.nodes;
    const doomed = await env.cluster.add('node-dies-active');
    const alice = await connect(n1!.url, uniqueUser('alice'), { deviceId: 'a' });
    const bobId = uniqueUser('bob');
    const bob = await connect(doomed.url, bobId, { deviceId: 'b' });
    const watcher = await connect(n2!.url, uniqueUser('watcher'));
    await watcher.request('presence_subscribe', { userIds: [alice.userId, bobId] });
    const callId = await activeCall(alice, [bob]);

    const killedAt = Date.now();
    await doomed.kill();
    const offline = watcher
      .next('presence', presenceOf(bobId, 'offline'), CALL_END_LIMIT_MS + 2000)
      .then((p) => ({ p, at: since(killedAt) }));
    expect(await alice.next('call_ended', (p) => p.callId === callId, CALL_END_LIMIT_MS + 2000)).toEqual({
      callId,
      reason: 'disconnected',
    });
    const endedAfter = since(killedAt);
    const offlineEvent = await offline;
    console.info(
      `active call: disconnected ${endedAfter} ms after SIGKILL (limit ${CALL_END_LIMIT_MS}); peer offline at ${offlineEvent.at} ms`,
    );
    expect(endedAfter).toBeLessThanOrEqual(CALL_END_LIMIT_MS);
    expect(offlineEvent.at).toBeLessThanOrEqual(NODE_TTL_MS + 2000);
    await watcher.next('presence', presenceOf(alice.userId, 'online', false), EVENT_MS);
    const query = await watcher.request('presence_query', { userIds: [alice.userId, bobId] });
    expect(query.presence.map((p: { inCall: boolean }) => p.inCall)).toEqual([false, false]);
    expect(await alice.request('call_end', { callId })).toMatchObject({ error: { code: 'INVALID_STATE' } });

    const bobBack = await connect(n2!.url, bobId, { deviceId: 'b' });
    await callBothWays(alice, bobBack);
    await settle(300);
    expect(alice.all('call_ended', (p) => p.callId === callId)).toHaveLength(1);
    closeAll(alice, bobBack, watcher);
  });

  it('a device whose node died resumes its active call on another node within the grace', async () => {
    const [n1, n2] = env.nodes;
    const doomed = await env.cluster.add('node-dies-resume');
    const alice = await connect(n1!.url, uniqueUser('alice'), { deviceId: 'a' });
    const bobId = uniqueUser('bob');
    const bob = await connect(doomed.url, bobId, { deviceId: 'b' });
    const callId = await activeCall(alice, [bob]);

    await doomed.kill();
    const bobBack = await connect(n2!.url, bobId, { deviceId: 'b' });
    expect(await bobBack.next('call_resumed', (p) => p.callId === callId, EVENT_MS)).toEqual({
      callId,
      state: 'active',
      role: 'callee',
      peer: { userId: alice.userId, deviceId: 'a' },
    });
    expect(await bobBack.request('ice_candidate', { callId, candidate: { candidate: 'after' } })).toEqual({ ok: true });
    await alice.next('ice_candidate', (p) => p.candidate?.candidate === 'after', EVENT_MS);
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'back' } })).toEqual({ ok: true });
    await bobBack.next('ice_candidate', (p) => p.candidate?.candidate === 'back', EVENT_MS);

    // Past the dead node's sweep and the grace, the call still stands.
    await settle(CALL_END_LIMIT_MS);
    expect(alice.all('call_ended')).toHaveLength(0);
    expect(bobBack.all('call_ended')).toHaveLength(0);
    expect(await bobBack.request('sdp_offer', { callId, sdp: 'offer-3' })).toEqual({ ok: true });
    await alice.next('sdp_offer', (p) => p.callId === callId, EVENT_MS);
    const query = await alice.request('presence_query', { userIds: [bobId] });
    expect(query.presence[0]).toMatchObject({ status: 'online', inCall: true });
    expect(await alice.request('call_end', { callId })).toEqual({ ok: true });
    await bobBack.next('call_ended', (p) => p.callId === callId, EVENT_MS);
    closeAll(alice, bobBack);
  });

  it("a caller whose node died resumes its ringing call on another node and the callee's device can answer", async () => {
    const [n1, n2, n3] = env.nodes;
    const doomed = await env.cluster.add('node-dies-caller');
    const aliceId = uniqueUser('alice');
    const alice = await connect(doomed.url, aliceId, { deviceId: 'a' });
    const bob = await connect(n2!.url, uniqueUser('bob'), { deviceId: 'b' });
    const invite = await alice.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP });
    const callId = invite.callId;
    await bob.next('call_incoming', (p) => p.callId === callId, EVENT_MS);

    await doomed.kill();
    const aliceBack = await connect(n3!.url, aliceId, { deviceId: 'a' });
    expect(await aliceBack.next('call_resumed', (p) => p.callId === callId, EVENT_MS)).toEqual({
      callId,
      state: 'ringing',
      role: 'caller',
      peer: { userId: bob.userId },
    });
    await settle(NODE_TTL_MS + RECONNECT_GRACE_MS + 500);
    expect(bob.all('call_ended')).toHaveLength(0);
    expect(await bob.request('call_accept', { callId, sdp: 'late-answer' })).toEqual({ ok: true });
    expect(await aliceBack.next('call_accepted', (p) => p.callId === callId, EVENT_MS)).toMatchObject({
      sdp: 'late-answer',
      by: { userId: bob.userId, deviceId: 'b' },
    });
    expect(await aliceBack.request('call_end', { callId })).toEqual({ ok: true });
    await bob.next('call_ended', (p) => p.callId === callId, EVENT_MS);
    closeAll(aliceBack, bob);
    void n1;
  });
});
