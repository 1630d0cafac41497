import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import { connect, FAKE_SDP } from '../support/test-client.js';
import { type Env, EVENT_MS, startEnv } from './helpers.js';

async function clusterMessages(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('switchboard_cluster_messages_received_total'));
  return Number(line?.split(' ').pop());
}

const CALLS = 20;
const CANDIDATES = 4;

// The property that lets nodes add capacity: with the sharded adapter in
// dynamic mode every room is its own channel, so a node hears only events
// for sockets it holds. docs/architecture.md quotes the figures logged here.
describe.skipIf(!redisServerAvailable)('cross-node routing reaches only the nodes involved', () => {
  let env: Env;
  beforeAll(async () => {
    // Production's node liveness, not the fault tests' 1.5 s: this test is
    // about routing, and on a loaded machine a node whose tick ran late
    // would be swept as dead and its calls ended under the test.
    env = await startEnv(3, { NODE_TTL_MS: '10000', RECONNECT_GRACE_MS: '10000' });
  });
  afterAll(() => env?.close());

  it('a node that hosts none of the calls receives none of their messages', async () => {
    const [n1, n2, n3] = env.nodes;
    const alice = await connect(n1!.url, 'alice', { deviceId: 'a' });
    const bob = await connect(n2!.url, 'bob', { deviceId: 'b' });
    // A bystander keeps node 3 busy with sockets of its own.
    const carol = await connect(n3!.url, 'carol', { deviceId: 'c' });
    await carol.request('presence_subscribe', { userIds: ['dave'] });
    const before = await Promise.all(env.nodes.map((n) => clusterMessages(n.url)));

    for (let i = 0; i < CALLS; i++) {
      const { callId } = await alice.request('call_invite', { to: 'bob', media: 'audio', sdp: FAKE_SDP });
      await bob.next('call_incoming', (p) => p.callId === callId, EVENT_MS);
      expect(await bob.request('call_ringing', { callId })).toEqual({ ok: true });
      expect(await bob.request('call_accept', { callId, sdp: FAKE_SDP })).toEqual({ ok: true });
      await alice.next('call_accepted', (p) => p.callId === callId, EVENT_MS);
      for (let c = 0; c < CANDIDATES; c++) {
        await alice.request('ice_candidate', { callId, candidate: { candidate: `a${c}`, sdpMid: '0' } });
        await bob.request('ice_candidate', { callId, candidate: { candidate: `b${c}`, sdpMid: '0' } });
      }
      await bob.next(
        'ice_candidate',
        (p) => p.callId === callId && p.candidate.candidate === `a${CANDIDATES - 1}`,
        EVENT_MS,
      );
      await alice.next(
        'ice_candidate',
        (p) => p.callId === callId && p.candidate.candidate === `b${CANDIDATES - 1}`,
        EVENT_MS,
      );
      await alice.request('call_end', { callId });
      await bob.next('call_ended', (p) => p.callId === callId, EVENT_MS);
    }
    const after = await Promise.all(env.nodes.map((n) => clusterMessages(n.url)));
    const received = after.map((a, i) => a - (before[i] ?? 0));
    console.info(`cluster messages received over ${CALLS} calls (node1, node2, node3):`, received);
    expect(received[2]).toBe(0);
    // Caller's and callee's nodes hear each other's events, and nothing else.
    expect(received[0]).toBeGreaterThan(0);
    expect(received[1]).toBeGreaterThan(0);
    for (const c of [alice, bob, carol]) c.close();
  });
});
