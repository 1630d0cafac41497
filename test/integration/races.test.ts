import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import {
  activeCall,
  closeAll,
  connect,
  FAKE_SDP,
  raceInTurns,
  ref,
  ringingCall,
  settle,
  sleep,
  uniqueUser,
} from '../support/test-client.js';

const ROUNDS = 5;

async function trio(url: string) {
  const alice = await connect(url, uniqueUser('alice'), { deviceId: 'phone' });
  const bobPhone = await connect(url, uniqueUser('bob'), { deviceId: 'phone' });
  const bobLaptop = await connect(url, bobPhone.userId, { deviceId: 'laptop' });
  return { alice, bobPhone, bobLaptop, close: () => closeAll(alice, bobPhone, bobLaptop) };
}

describe('races on one node', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.close());

  it('two callee devices accepting at once: one wins, the other gets INVALID_STATE and answered_elsewhere', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const t = await trio(node.url);
      const { callId } = await ringingCall(t.alice, [t.bobPhone, t.bobLaptop]);
      const answers = await Promise.all([
        t.bobPhone.request('call_accept', { callId, sdp: 'phone' }),
        t.bobLaptop.request('call_accept', { callId, sdp: 'laptop' }),
      ]);
      const winners = answers.filter((a) => a.ok);
      expect(winners).toHaveLength(1);
      const loserIndex = answers.findIndex((a) => !a.ok);
      expect(answers[loserIndex].error.code).toBe('INVALID_STATE');
      const [winner, loser] = loserIndex === 0 ? [t.bobLaptop, t.bobPhone] : [t.bobPhone, t.bobLaptop];
      expect(await t.alice.next('call_accepted')).toEqual({
        callId,
        sdp: winner.deviceId,
        by: ref(winner),
      });
      expect(await loser.next('call_ended')).toEqual({ callId, reason: 'answered_elsewhere', by: ref(winner) });
      await settle();
      expect(t.alice.all('call_accepted')).toHaveLength(1);
      expect(winner.all('call_ended')).toEqual([]);
      expect(loser.all('call_ended')).toHaveLength(1);
      expect(await node.store.getCall(callId)).toMatchObject({
        state: 'active',
        callee: { userId: winner.userId, deviceId: winner.deviceId },
      });
      await t.alice.request('call_end', { callId });
      t.close();
    }
  });

  it('accept against cancel: one wins, both sides agree on the outcome', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const t = await trio(node.url);
      const { callId } = await ringingCall(t.alice, [t.bobPhone, t.bobLaptop]);
      const [accept, cancel] = await raceInTurns(
        round,
        () => t.bobPhone.request('call_accept', { callId }),
        () => t.alice.request('call_cancel', { callId }),
      );
      expect(accept.ok !== cancel.ok).toBe(true);
      await settle();
      const stored = await node.store.getCall(callId);
      if (accept.ok) {
        outcomes.add('accepted');
        expect(cancel.error.code).toBe('INVALID_STATE');
        expect(stored?.state).toBe('active');
        expect(t.alice.all('call_accepted')).toEqual([{ callId, by: ref(t.bobPhone) }]);
        expect(t.bobPhone.all('call_ended')).toEqual([]);
        expect(t.bobLaptop.all('call_ended')).toEqual([{ callId, reason: 'answered_elsewhere', by: ref(t.bobPhone) }]);
        await t.alice.request('call_end', { callId });
      } else {
        outcomes.add('cancelled');
        expect(accept.error.code).toBe('INVALID_STATE');
        expect(stored).toMatchObject({ state: 'ended', endReason: 'cancelled' });
        expect(t.alice.all('call_accepted')).toEqual([]);
        for (const d of [t.bobPhone, t.bobLaptop]) {
          expect(d.all('call_ended')).toEqual([{ callId, reason: 'cancelled', by: ref(t.alice) }]);
        }
      }
      expect(t.alice.all('call_ended')).toEqual([]);
      t.close();
    }
    // Usually both outcomes occur; either one alone is still correct.
    expect(outcomes.size).toBeGreaterThanOrEqual(1);
  });

  it('accept against reject from two callee devices: one wins', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const t = await trio(node.url);
      const { callId } = await ringingCall(t.alice, [t.bobPhone, t.bobLaptop]);
      const [accept, reject] = await raceInTurns(
        round,
        () => t.bobPhone.request('call_accept', { callId }),
        () => t.bobLaptop.request('call_reject', { callId }),
      );
      expect(accept.ok !== reject.ok).toBe(true);
      expect((accept.ok ? reject : accept).error.code).toBe('INVALID_STATE');
      await settle();
      if (accept.ok) {
        expect(t.alice.all('call_accepted')).toHaveLength(1);
        expect(t.alice.all('call_ended')).toEqual([]);
        expect(t.bobLaptop.all('call_ended')).toEqual([{ callId, reason: 'answered_elsewhere', by: ref(t.bobPhone) }]);
        await t.alice.request('call_end', { callId });
      } else {
        expect(t.alice.all('call_accepted')).toEqual([]);
        const ended = { callId, reason: 'rejected', by: ref(t.bobLaptop) };
        expect(t.alice.all('call_ended')).toEqual([ended]);
        expect(t.bobPhone.all('call_ended')).toEqual([ended]);
      }
      t.close();
    }
  });

  it('accept against call_end (a reject) from another callee device: one wins, the other is refused', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const t = await trio(node.url);
      const { callId } = await ringingCall(t.alice, [t.bobPhone, t.bobLaptop]);
      const [accept, end] = await raceInTurns(
        round,
        () => t.bobPhone.request('call_accept', { callId }),
        () => t.bobLaptop.request('call_end', { callId }),
      );
      expect(accept.ok !== end.ok).toBe(true);
      if (end.ok) expect(accept.error.code).toBe('INVALID_STATE');
      // Judged after the accept, the other callee device is no longer involved (NOT_PARTICIPANT, by the
      // roles rule); judged in the race window it is the loser (INVALID_STATE). Either answer is consistent.
      else expect(['INVALID_STATE', 'NOT_PARTICIPANT']).toContain(end.error.code);
      await settle();
      if (accept.ok) {
        expect(t.bobLaptop.all('call_ended')).toEqual([{ callId, reason: 'answered_elsewhere', by: ref(t.bobPhone) }]);
        await t.alice.request('call_end', { callId });
      } else {
        const ended = { callId, reason: 'rejected', by: ref(t.bobLaptop) };
        expect(t.alice.all('call_ended')).toEqual([ended]);
        expect(t.bobPhone.all('call_ended')).toEqual([ended]);
      }
      t.close();
    }
  });

  it('both participants hanging up at once: one ends it, each device hears of the end once at most', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const t = await trio(node.url);
      const callId = await activeCall(t.alice, [t.bobPhone]);
      const answers = await Promise.all([
        t.alice.request('call_end', { callId }),
        t.bobPhone.request('call_end', { callId }),
      ]);
      expect(answers.filter((a) => a.ok)).toHaveLength(1);
      expect(answers.find((a) => !a.ok).error.code).toBe('INVALID_STATE');
      await settle();
      const [winner, loser] = answers[0].ok ? [t.alice, t.bobPhone] : [t.bobPhone, t.alice];
      expect(winner.all('call_ended')).toEqual([]);
      expect(loser.all('call_ended')).toEqual([{ callId, reason: 'hangup', by: ref(winner) }]);
      t.close();
    }
  });

  it('glare: crossing invites between two users, exactly one succeeds, the other is TOO_MANY_CALLS', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await connect(node.url, uniqueUser('a'));
      const b = await connect(node.url, uniqueUser('b'));
      const [fromA, fromB] = await Promise.all([
        a.request('call_invite', { to: b.userId, media: 'audio', sdp: FAKE_SDP }),
        b.request('call_invite', { to: a.userId, media: 'audio', sdp: FAKE_SDP }),
      ]);
      expect(fromA.ok !== fromB.ok).toBe(true);
      const [winnerAnswer, loserAnswer] = fromA.ok ? [fromA, fromB] : [fromB, fromA];
      const [caller, callee] = fromA.ok ? [a, b] : [b, a];
      expect(loserAnswer.error.code).toBe('TOO_MANY_CALLS');
      expect(await callee.next('call_incoming')).toMatchObject({ callId: winnerAnswer.callId, from: ref(caller) });
      await settle();
      expect(caller.all('call_incoming')).toEqual([]);
      expect(await node.store.listUserCalls(a.userId)).toHaveLength(1);
      expect(await node.store.listUserCalls(b.userId)).toHaveLength(1);
      await caller.request('call_cancel', { callId: winnerAnswer.callId });
      closeAll(a, b);
    }
  });
});

describe('accept against ring timeout', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ RING_TIMEOUT_MS: '300' });
  });
  afterAll(() => node.close());

  it('one wins; the loser gets INVALID_STATE and both sides agree', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 6; round++) {
      const t = await trio(node.url);
      const { callId, expiresAt } = await ringingCall(t.alice, [t.bobPhone, t.bobLaptop]);
      // Aim at the deadline, a little before or after, and run a timeout round at the same moment.
      await sleep(Math.max(0, expiresAt - Date.now() + (round % 4) * 5 - 5));
      const [accept] = await Promise.all([t.bobPhone.request('call_accept', { callId }), node.node.maintenance.tick()]);
      await settle(250);
      const stored = await node.store.getCall(callId);
      if (accept.ok) {
        outcomes.add('accepted');
        expect(stored?.state).toBe('active');
        expect(t.alice.all('call_accepted')).toHaveLength(1);
        expect(t.alice.all('call_ended')).toEqual([]);
        expect(t.bobPhone.all('call_ended')).toEqual([]);
        expect(t.bobLaptop.all('call_ended')).toEqual([{ callId, reason: 'answered_elsewhere', by: ref(t.bobPhone) }]);
        await t.alice.request('call_end', { callId });
      } else {
        outcomes.add('timeout');
        expect(accept.error.code).toBe('INVALID_STATE');
        expect(stored).toMatchObject({ state: 'ended', endReason: 'timeout' });
        expect(t.alice.all('call_accepted')).toEqual([]);
        for (const d of [t.alice, t.bobPhone, t.bobLaptop]) {
          expect(d.all('call_ended')).toEqual([{ callId, reason: 'timeout' }]);
        }
      }
      t.close();
    }
    expect(outcomes.size).toBeGreaterThanOrEqual(1);
  });
});

describe('with MAX_CONCURRENT_CALLS=2', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ MAX_CONCURRENT_CALLS: '2' });
  });
  afterAll(() => node.close());

  it('a callee already in a call still rings, on every device; a third call is BUSY / TOO_MANY_CALLS', async () => {
    const t = await trio(node.url);
    const carol = await connect(node.url, uniqueUser('carol'));
    const dave = await connect(node.url, uniqueUser('dave'));
    const first = await activeCall(t.alice, [t.bobPhone, t.bobLaptop]);
    const res = await carol.request('call_invite', { to: t.bobPhone.userId, media: 'video', sdp: FAKE_SDP });
    expect(res.ok).toBe(true);
    expect(await t.bobPhone.next('call_incoming', (p) => p.callId === res.callId)).toMatchObject({
      from: ref(carol),
    });
    await t.bobLaptop.next('call_incoming', (p) => p.callId === res.callId);
    expect(
      (await dave.request('call_invite', { to: t.bobPhone.userId, media: 'audio', sdp: FAKE_SDP })).error.code,
    ).toBe('BUSY');
    expect(
      (await t.bobLaptop.request('call_invite', { to: dave.userId, media: 'audio', sdp: FAKE_SDP })).error.code,
    ).toBe('TOO_MANY_CALLS');
    expect(await node.store.listUserCalls(t.bobPhone.userId)).toHaveLength(2);
    // Taking the second call on the laptop leaves the first one alone.
    expect(await t.bobLaptop.request('call_accept', { callId: res.callId })).toEqual({ ok: true });
    expect(await t.bobPhone.next('call_ended', (p) => p.callId === res.callId)).toEqual({
      callId: res.callId,
      reason: 'answered_elsewhere',
      by: ref(t.bobLaptop),
    });
    expect((await node.store.getCall(first))?.state).toBe('active');
    closeAll(carol, dave);
    t.close();
  });

  it('crossing invites both succeed when the limit allows two calls', async () => {
    const a = await connect(node.url, uniqueUser('a'));
    const b = await connect(node.url, uniqueUser('b'));
    const answers = await Promise.all([
      a.request('call_invite', { to: b.userId, media: 'audio', sdp: FAKE_SDP }),
      b.request('call_invite', { to: a.userId, media: 'audio', sdp: FAKE_SDP }),
    ]);
    expect(answers.every((x) => x.ok)).toBe(true);
    await a.next('call_incoming');
    await b.next('call_incoming');
    closeAll(a, b);
  });
});
