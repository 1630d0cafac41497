import type { Call } from '@switchboard/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { FakePeerConnection } from './fake-peer-connection.js';
import { closeAll, next, sdk, until } from './helpers.js';

let node: InProcessNode;
let n = 0;
const ids = <T extends string[]>(...names: T) => {
  n++;
  return names.map((name) => `${name}${n}`) as { [K in keyof T]: string };
};
beforeAll(async () => {
  node = await startNode();
});
afterEach(() => closeAll());
afterAll(() => node.close());

/** A call between two wired fake peer connections, up to `active`. */
async function wiredCall(options = {}) {
  const [a, b] = ids('alice', 'bob');
  const alice = await sdk(node.url, a, 'd1', options);
  const bob = await sdk(node.url, b, 'd1', options);
  const callerPc = new FakePeerConnection('caller');
  const calleePc = new FakePeerConnection('callee');
  callerPc.gather = ['candidate:caller-1', 'candidate:caller-2'];
  calleePc.gather = ['candidate:callee-1'];
  const incoming = next<Call>(bob, 'incoming');
  const call = await alice.call(b, { media: 'audio', peerConnection: () => callerPc });
  const theirs = await incoming;
  return { alice, bob, call, theirs, callerPc, calleePc };
}

describe('SDK peer-connection wiring (scripted peer connections)', () => {
  it('offers, answers, trickles both ways, and keeps early candidates until the remote description is set', async () => {
    const { call, theirs, callerPc, calleePc } = await wiredCall();
    expect(callerPc.log.slice(0, 2)).toEqual(['createOffer', 'setLocal:offer']);
    expect(theirs.remoteSdp).toBe(callerPc.localDescription?.sdp);
    // The caller's candidates came before the invite was answered; they were sent after it.
    await until(() => theirs.pendingRemoteCandidates.length === 2, 3000, 'caller candidates');

    callerPc.remoteDelayMs = 150; // the callee's candidates arrive while the answer is being applied
    await theirs.accept({ peerConnection: calleePc });
    expect(calleePc.log).toEqual([
      'setRemote:offer',
      'addIce:candidate:caller-1',
      'addIce:candidate:caller-2',
      'createAnswer',
      'setLocal:answer',
    ]);
    await until(() => callerPc.log.includes('addIce:candidate:callee-1'), 3000, 'callee candidate applied');
    expect(callerPc.log.slice(2)).toEqual(['setRemote:answer', 'addIce:candidate:callee-1']);
    expect(call.state).toBe('active');
    expect(call.peerConnection).toBe(callerPc);
  });

  it('renegotiates on negotiationneeded (offer one way, answer back) and on an explicit ICE restart', async () => {
    const { call, theirs, callerPc, calleePc } = await wiredCall();
    await theirs.accept({ peerConnection: calleePc });
    await until(() => callerPc.log.includes('addIce:candidate:callee-1'));
    callerPc.log.length = 0;
    calleePc.log.length = 0;

    callerPc.dispatch('negotiationneeded');
    await until(() => callerPc.log.includes('setRemote:answer'), 3000, 'renegotiation answer');
    expect(callerPc.log).toEqual(['createOffer', 'setLocal:offer', 'setRemote:answer']);
    expect(calleePc.log).toEqual(['setRemote:offer', 'createAnswer', 'setLocal:answer']);

    calleePc.log.length = 0;
    await theirs.renegotiate({ iceRestart: true }); // the callee may renegotiate too
    await until(() => calleePc.log.includes('setRemote:answer'), 3000, 'restart answer');
    expect(calleePc.log).toEqual(['createOffer:iceRestart', 'setLocal:offer', 'setRemote:answer']);
    expect(call.state).toBe('active');
  });

  it('ends the call `failed` when ICE fails for good, after trying an ICE restart', async () => {
    const { call, theirs, callerPc, calleePc } = await wiredCall({ iceFailureGraceMs: 300 });
    await theirs.accept({ peerConnection: calleePc });
    await until(() => callerPc.remoteDescription !== null);
    callerPc.setConnectionState('connected');
    calleePc.setConnectionState('connected');

    const ended = next(theirs, 'ended');
    callerPc.setConnectionState('failed');
    expect(await ended).toMatchObject({ reason: 'failed' });
    await call.whenEnded();
    expect(call).toMatchObject({ state: 'ended', endReason: 'failed' });
    expect(callerPc.log).toContain('createOffer:iceRestart');
    // Ended: the SDK let go of both peer connections and closed them.
    expect(callerPc.closed && calleePc.closed).toBe(true);
    expect(callerPc.listenerCount() + calleePc.listenerCount()).toBe(0);
  });

  it('ICE that recovers within the grace period keeps the call', async () => {
    const { call, theirs, callerPc, calleePc } = await wiredCall({ iceFailureGraceMs: 400 });
    await theirs.accept({ peerConnection: calleePc });
    await until(() => callerPc.remoteDescription !== null);
    calleePc.setConnectionState('failed');
    await new Promise((r) => setTimeout(r, 100));
    calleePc.setConnectionState('connected');
    await new Promise((r) => setTimeout(r, 600));
    expect(call.state).toBe('active');
    expect(theirs.state).toBe('active');
  });
});
