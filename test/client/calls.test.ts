import { type Call, SwitchboardError } from '@switchboard/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { ANSWER, closeAll, next, OFFER, rejection, sdk, until } from './helpers.js';

let node: InProcessNode;
let n = 0;
/** Fresh user ids per test, so calls and presence of one test never meet another's. */
const ids = <T extends string[]>(...names: T) => {
  n++;
  return names.map((name) => `${name}${n}`) as { [K in keyof T]: string };
};

beforeAll(async () => {
  node = await startNode();
});
afterEach(() => closeAll());
afterAll(() => node.close());

describe('SDK calls on one node', () => {
  it('rings every device, one accepts, signaling flows both ways, hang-up ends both sides once', async () => {
    const [a, b] = ids('alice', 'bob');
    const alice = await sdk(node.url, a, 'phone');
    const bob1 = await sdk(node.url, b, 'phone');
    const bob2 = await sdk(node.url, b, 'laptop');
    const incoming1 = next<Call>(bob1, 'incoming');
    const incoming2 = next<Call>(bob2, 'incoming');

    const call = await alice.call(b, { media: 'video', sdp: OFFER, metadata: { subject: 'hi' } });
    expect(call).toMatchObject({ role: 'caller', state: 'ringing', media: 'video', peer: { userId: b } });
    expect(call.expiresAt).toBeGreaterThan(Date.now());
    const ringing = next(call, 'ringing');
    const [in1, in2] = await Promise.all([incoming1, incoming2]);
    expect(in1).toMatchObject({ id: call.id, role: 'callee', state: 'ringing', media: 'video', remoteSdp: OFFER });
    expect(in1.peer).toEqual({ userId: a, deviceId: 'phone' });
    expect(in1.metadata).toEqual({ subject: 'hi' });
    expect((await ringing).userId).toBe(b); // auto `call_ringing` from the device that showed it first

    const accepted = next(call, 'accepted');
    const elsewhere = next(in2, 'ended');
    await in1.accept({ sdp: ANSWER });
    expect(in1.state).toBe('active');
    expect(await accepted).toEqual({ sdp: ANSWER, by: { userId: b, deviceId: 'phone' } });
    expect(call.state).toBe('active');
    expect(call.peer).toEqual({ userId: b, deviceId: 'phone' });
    expect(await elsewhere).toEqual({ reason: 'answered_elsewhere', by: { userId: b, deviceId: 'phone' } });
    expect(in2.state).toBe('ended');
    expect(bob2.calls.size).toBe(0);

    const cand = { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    const gotCand = next(in1, 'remoteCandidate');
    await call.sendCandidate(cand);
    expect(await gotCand).toEqual(cand);
    const gotOffer = next(call, 'remoteOffer');
    await in1.sendOffer(OFFER);
    expect(await gotOffer).toBe(OFFER);
    const gotAnswer = next(in1, 'remoteAnswer');
    await call.sendAnswer(ANSWER);
    expect(await gotAnswer).toBe(ANSWER);

    const states: string[] = [];
    call.on('state', (s) => states.push(s));
    const ended = next(call, 'ended');
    await in1.hangup();
    expect(in1).toMatchObject({ state: 'ended', endReason: 'hangup' });
    expect(await ended).toEqual({ reason: 'hangup', by: { userId: b, deviceId: 'phone' } });
    expect(call).toMatchObject({ state: 'ended', endReason: 'hangup', endedBy: { userId: b, deviceId: 'phone' } });
    expect(states).toEqual(['ended']);
    expect(alice.calls.size).toBe(0);
    const late = await rejection(call.hangup());
    expect(late).toBeInstanceOf(SwitchboardError);
    expect(late.code).toBe('INVALID_STATE');
  });

  it('reject (declined and busy), cancel, and hang-up while ringing end the call with the right reason', async () => {
    const [a, b] = ids('alice', 'bob');
    const alice = await sdk(node.url, a);
    const bob1 = await sdk(node.url, b, 'one');
    const bob2 = await sdk(node.url, b, 'two');

    for (const [action, reason] of [
      ['declined', 'rejected'],
      ['busy', 'busy'],
    ] as const) {
      const in1 = next<Call>(bob1, 'incoming');
      const in2 = next<Call>(bob2, 'incoming');
      const call = await alice.call(b, { media: 'audio', sdp: OFFER });
      const ended = next(call, 'ended');
      const other = next((await in2) as Call, 'ended');
      await (await in1).reject(action);
      expect((await in1).endReason).toBe(reason);
      expect(await ended).toEqual({ reason, by: { userId: b, deviceId: 'one' } });
      expect((await other).reason).toBe(reason);
    }

    const in1 = next<Call>(bob1, 'incoming');
    const call = await alice.call(b, { media: 'audio', sdp: OFFER });
    const cancelled = next((await in1) as Call, 'ended');
    await call.cancel();
    expect(call.endReason).toBe('cancelled');
    expect(await cancelled).toEqual({ reason: 'cancelled', by: { userId: a, deviceId: 'd1' } });

    const in3 = next<Call>(bob2, 'incoming');
    const call2 = await alice.call(b, { media: 'audio', sdp: OFFER });
    const rejected = next(call2, 'ended');
    await (await in3).hangup();
    expect((await in3).endReason).toBe('rejected');
    expect((await rejected).reason).toBe('rejected');

    const in4 = next<Call>(bob2, 'incoming');
    const call3 = await alice.call(b, { media: 'audio', sdp: OFFER });
    const withdrawn = next((await in4) as Call, 'ended');
    await call3.hangup();
    expect(call3.endReason).toBe('cancelled');
    expect((await withdrawn).reason).toBe('cancelled');
  });

  it('two devices accepting at once: one wins, the loser gets INVALID_STATE and sees answered_elsewhere', async () => {
    const [a, b] = ids('alice', 'bob');
    const alice = await sdk(node.url, a);
    const bob1 = await sdk(node.url, b, 'one');
    const bob2 = await sdk(node.url, b, 'two');
    const in1 = next<Call>(bob1, 'incoming');
    const in2 = next<Call>(bob2, 'incoming');
    await alice.call(b, { media: 'audio', sdp: OFFER });
    const [c1, c2] = await Promise.all([in1, in2]);
    const results = await Promise.allSettled([c1.accept({ sdp: ANSWER }), c2.accept({ sdp: ANSWER })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(SwitchboardError);
    expect(lost.reason.code).toBe('INVALID_STATE');
    const loser = results[0]!.status === 'rejected' ? c1 : c2;
    await until(() => loser.state === 'ended');
    expect(loser.endReason).toBe('answered_elsewhere');
  });

  it('every refusal is a SwitchboardError with the contract code', async () => {
    const [a, b, c, d] = ids('alice', 'bob', 'carol', 'dave');
    const alice = await sdk(node.url, a);
    const code = async (p: Promise<unknown>) => {
      const err = await rejection(p);
      expect(err).toBeInstanceOf(SwitchboardError);
      return err.code;
    };

    expect(await code(alice.call('nobody-online', { media: 'audio', sdp: OFFER }))).toBe('USER_OFFLINE');
    expect(await code(alice.call(a, { media: 'audio', sdp: OFFER }))).toBe('SELF_CALL');
    expect(await code(alice.call(b, { media: 'audio', sdp: OFFER, metadata: { big: 'x'.repeat(3000) } }))).toBe(
      'INVALID_PAYLOAD',
    );
    expect(await code(alice.call(b, { media: 'audio', sdp: OFFER, callId: 'not-a-uuid' }))).toBe('INVALID_PAYLOAD');
    expect(await code(alice.call(b, { media: 'audio' }))).toBe('INVALID_PAYLOAD');
    const unknown = '6f1c6c4e-8f43-4c4b-9a53-0d3f4b3f1a11';
    expect(await code(alice.request('sdp_offer', { callId: unknown, sdp: OFFER }))).toBe('CALL_NOT_FOUND');

    const bob = await sdk(node.url, b);
    const carol = await sdk(node.url, c);
    const dave = await sdk(node.url, d);
    const incoming = next<Call>(bob, 'incoming');
    const call = await alice.call(b, { media: 'audio', sdp: OFFER });
    expect(await code(call.accept())).toBe('NOT_PARTICIPANT');
    expect(await code(alice.request('call_accept', { callId: call.id }))).toBe('NOT_PARTICIPANT');
    expect(await code((await incoming).sendCandidate(null))).toBe('NOT_PARTICIPANT');
    expect(await code(alice.call(c, { media: 'audio', sdp: OFFER }))).toBe('TOO_MANY_CALLS');
    expect(await code(dave.call(b, { media: 'audio', sdp: OFFER }))).toBe('BUSY');
    expect(await code(call.sendOffer(OFFER))).toBe('INVALID_STATE');
    await call.cancel();
    expect(await code((await incoming).accept({ sdp: ANSWER }))).toBe('INVALID_STATE');
    expect(carol.calls.size).toBe(0);
  });

  it('a ringing call ends `timeout` on both sides', async () => {
    const quick = await startNode({ RING_TIMEOUT_MS: '400' });
    try {
      const alice = await sdk(quick.url, 'alice');
      const bob = await sdk(quick.url, 'bob');
      const incoming = next<Call>(bob, 'incoming');
      const call = await alice.call('bob', { media: 'audio', sdp: OFFER });
      const [mine, theirs] = await Promise.all([next(call, 'ended'), next((await incoming) as Call, 'ended')]);
      expect(mine).toEqual({ reason: 'timeout' });
      expect(theirs).toEqual({ reason: 'timeout' });
    } finally {
      closeAll();
      await quick.close();
    }
  });

  it('RATE_LIMITED carries retryAfterMs; a refused token is UNAUTHENTICATED', async () => {
    const limited = await startNode({ RATE_LIMIT_INVITES_PER_MIN: '1' });
    try {
      const alice = await sdk(limited.url, 'alice');
      await sdk(limited.url, 'bob');
      await sdk(limited.url, 'carol');
      const call = await alice.call('bob', { media: 'audio', sdp: OFFER });
      await call.cancel();
      const err = await rejection(alice.call('carol', { media: 'audio', sdp: OFFER }));
      expect(err).toBeInstanceOf(SwitchboardError);
      expect(err.code).toBe('RATE_LIMITED');
      expect(err.retryAfterMs).toBeGreaterThan(0);
    } finally {
      closeAll();
      await limited.close();
    }
    const { connect } = await import('@switchboard/client');
    const refused = await rejection(connect({ url: node.url, token: 'not-a-jwt' }));
    expect(refused).toBeInstanceOf(SwitchboardError);
    expect(refused.code).toBe('UNAUTHENTICATED');
  });
});
