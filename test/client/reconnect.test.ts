import { type Call, type ReconnectContext, SwitchboardError } from '@switchboard/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { connect as rawConnect } from '../support/test-client.js';
import { ANSWER, closeAll, next, OFFER, rejection, sdk, sleep, until } from './helpers.js';

let node: InProcessNode;
let n = 0;
const ids = <T extends string[]>(...names: T) => {
  n++;
  return names.map((name) => `${name}${n}`) as { [K in keyof T]: string };
};

/** Closes the transport of a device's socket on the server, as a network drop would. */
function drop(userId: string, deviceId = 'd1'): void {
  for (const socket of node.node.io.of('/').sockets.values()) {
    if (socket.data.device.userId === userId && socket.data.device.deviceId === deviceId) socket.conn.close();
  }
}

/** A policy that waits `ms` before every attempt, so a test can act while the client is away. */
const slowPolicy = (ms: number) => ({ nextRetryDelayMs: () => ms });

async function activeCall(a: string, b: string, options = {}) {
  const alice = await sdk(node.url, a, 'd1', options);
  const bob = await sdk(node.url, b, 'd1', options);
  const incoming = next<Call>(bob, 'incoming');
  const call = await alice.call(b, { media: 'audio', sdp: OFFER });
  const theirs = await incoming;
  await theirs.accept({ sdp: ANSWER });
  await until(() => call.state === 'active');
  return { alice, bob, call, theirs };
}

beforeAll(async () => {
  node = await startNode();
});
afterEach(() => closeAll());
afterAll(() => node.close());

describe('SDK reconnection', () => {
  it('an active call resumes on the same Call object and signaling works again', async () => {
    const [a, b] = ids('alice', 'bob');
    const { alice, call, theirs } = await activeCall(a, b);
    const states: string[] = [];
    alice.on('connectionState', (s) => states.push(s));
    const resumed = next(call, 'resumed');
    drop(a);
    expect(await resumed).toEqual({
      callId: call.id,
      state: 'active',
      role: 'caller',
      peer: { userId: b, deviceId: 'd1' },
    });
    expect(states).toEqual(['reconnecting', 'connected']);
    expect(alice.calls.get(call.id)).toBe(call);
    expect(call.state).toBe('active');
    const cand = { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0' };
    const got = next(theirs, 'remoteCandidate');
    await call.sendCandidate(cand);
    expect(await got).toEqual(cand);
  });

  it('a ringing call resumes on both sides: the callee is not rung twice and can still answer', async () => {
    const [a, b] = ids('alice', 'bob');
    const alice = await sdk(node.url, a);
    const bob = await sdk(node.url, b);
    let rung = 0;
    bob.on('incoming', () => rung++);
    const incoming = next<Call>(bob, 'incoming');
    const call = await alice.call(b, { media: 'audio', sdp: OFFER });
    const theirs = await incoming;

    const callerResumed = next(call, 'resumed');
    drop(a);
    expect((await callerResumed).state).toBe('ringing');

    const bobBack = next(bob, 'session');
    drop(b);
    await bobBack;
    await sleep(300);
    expect(rung).toBe(1);
    expect(bob.calls.get(call.id)).toBe(theirs);
    const accepted = next(call, 'accepted');
    await theirs.accept({ sdp: ANSWER });
    expect((await accepted).sdp).toBe(ANSWER);
  });

  it('a call that ended while the device was away ends once it is back', async () => {
    const [a, b] = ids('alice', 'bob');
    const { call, theirs } = await activeCall(a, b, { reconnectPolicy: slowPolicy(800), resumeWindowMs: 500 });
    drop(a);
    await sleep(100);
    await theirs.hangup();
    const { reason } = await next(call, 'ended', 5000);
    // The server's call history names the real reason once it has one; until then: `disconnected`.
    expect(['hangup', 'disconnected']).toContain(reason);
    expect(call.state).toBe('ended');
  });

  it('never buffers a request while disconnected: it fails at once and nothing is sent later', async () => {
    const [a, b] = ids('alice', 'bob');
    const alice = await sdk(node.url, a, 'd1', { reconnectPolicy: slowPolicy(700) });
    const bob = await rawConnect(node.url, b, { deviceId: 'raw' });
    const lost = next(alice, 'connectionState');
    drop(a);
    expect(await lost).toBe('reconnecting');
    const started = Date.now();
    const err = await rejection(alice.call(b, { media: 'audio', sdp: OFFER }));
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(err.code).toBe('NOT_CONNECTED');
    expect((await rejection(alice.subscribe([b]))).code).toBe('NOT_CONNECTED');
    expect((await rejection(alice.request('call_invite', { to: b, media: 'audio', sdp: OFFER }))).code).toBe(
      'NOT_CONNECTED',
    );
    expect(Date.now() - started).toBeLessThan(200);
    await next(alice, 'session', 5000);
    await sleep(500);
    expect(bob.all('call_incoming')).toHaveLength(0);
    bob.close();
  });

  it('a pluggable policy decides the delays and may give up; the client then closes and its calls end', async () => {
    const [a, b] = ids('alice', 'bob');
    const seen: ReconnectContext[] = [];
    const policy = {
      nextRetryDelayMs: (ctx: ReconnectContext) => {
        seen.push(ctx);
        return ctx.retryCount < 2 ? 50 : null;
      },
    };
    const doomed = await startNode();
    const alice = await sdk(doomed.url, a, 'd1', { reconnectPolicy: policy });
    const bob = await sdk(doomed.url, b);
    const incoming = next<Call>(bob, 'incoming');
    const call = await alice.call(b, { media: 'audio', sdp: OFFER });
    await (await incoming).accept({ sdp: ANSWER });
    const draining = next(alice, 'draining');
    const closed = new Promise<[string, SwitchboardError | undefined]>((resolve) =>
      alice.once('closed', (reason, error) => resolve([reason, error])),
    );
    await doomed.node.drain(); // tells clients to go elsewhere, closes their transports, stops listening
    await draining;
    const [reason, error] = await closed;
    await doomed.close();
    expect(reason).toMatch(/gave up/);
    expect(error?.code).toBe('CLOSED');
    expect(seen.map((c) => c.retryCount)).toEqual([0, 1, 2]);
    expect(call).toMatchObject({ state: 'ended', endReason: 'disconnected' });
    expect(alice.connectionState).toBe('closed');
  });

  it('a newer connection of the same device replaces this one, which closes instead of fighting back', async () => {
    const [a] = ids('alice');
    const first = await sdk(node.url, a, 'same');
    const closed = new Promise<string>((resolve) => first.once('closed', (reason) => resolve(reason)));
    const second = await sdk(node.url, a, 'same');
    expect(await closed).toBe('replaced');
    await sleep(300);
    expect(second.connected).toBe(true);
  });

  it('asks a token function again for every connection attempt, and keeps the server-assigned device id', async () => {
    const [a] = ids('alice');
    const { tokenFor } = await import('../support/tokens.js');
    let asked = 0;
    const { connect } = await import('@switchboard/client');
    const client = await connect({
      url: node.url,
      token: async () => {
        asked++;
        return tokenFor(a);
      },
    });
    try {
      const deviceId = client.deviceId;
      expect(deviceId).toMatch(/^dev-/);
      const back = next(client, 'session');
      drop(a, deviceId);
      await back;
      expect(asked).toBe(2);
      expect(client.deviceId).toBe(deviceId);
    } finally {
      client.close();
    }
  });
});
