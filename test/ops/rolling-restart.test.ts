import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Env, EVENT_MS, startEnv, waitFor } from '../multinode/helpers.js';
import { redisServerAvailable } from '../support/redis-server.js';
import { activeCall, closeAll, type TestClient, uniqueUser } from '../support/test-client.js';
import { type LoadBalancer, reconnectingClient, sessions, startLoadBalancer } from './helpers.js';

const PAIRS = 4;

describe.skipIf(!redisServerAvailable)('rolling restart of a three-node cluster during active calls', () => {
  let env: Env;
  let lb: LoadBalancer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    // The contract's default grace is 10 s; 5 s still leaves clients plenty of time on two loaded cores.
    env = await startEnv(3, { RECONNECT_GRACE_MS: '5000' });
    lb = await startLoadBalancer(env.nodes.map((n) => n.url));
  });
  afterAll(async () => {
    closeAll(...clients);
    await lb?.close();
    await env?.close();
  });

  const nodeOf = (c: TestClient) => c.all('session').at(-1)?.nodeId as string;

  it('SIGTERM each node in turn, start a replacement: no call ends, all still relay, every node exits 0', async () => {
    const pairs: { caller: TestClient; callee: TestClient; callId: string }[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const caller = await reconnectingClient(lb.url, uniqueUser(`caller${i}`), 'c');
      const callee = await reconnectingClient(lb.url, uniqueUser(`callee${i}`), 'd');
      clients.push(caller, callee);
      pairs.push({ caller, callee, callId: await activeCall(caller, [callee]) });
    }
    const spread = new Set(clients.map(nodeOf));
    expect(spread.size, 'the balancer spread the devices').toBe(3);

    const exits: { nodeId: string; code: number | null; tookMs: number; moved: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const old = env.nodes[i]!;
      const onOld = clients.filter((c) => nodeOf(c) === old.nodeId);
      const before = new Map(onOld.map((c) => [c, sessions(c)]));
      const started = Date.now();
      const code = await old.stop();
      const tookMs = Date.now() - started;
      exits.push({ nodeId: old.nodeId, code, tookMs, moved: onOld.length });
      // Its devices were told, and came back (on another node) through their own reconnection.
      for (const c of onOld) expect(c.all('server_draining').length, c.userId).toBeGreaterThan(0);
      await waitFor(
        `the devices of ${old.nodeId} back on other nodes`,
        () => onOld.every((c) => c.socket.connected && sessions(c) > before.get(c)! && nodeOf(c) !== old.nodeId),
        EVENT_MS,
      );
      const replacement = await env.cluster.add(`${old.nodeId}-new`);
      env.nodes[i] = replacement;
      lb.setBackends(env.nodes.filter((n) => !n.exited).map((n) => n.url));
    }
    console.info(`rolling restart: ${JSON.stringify(exits)}`);
    for (const e of exits) {
      expect(e.code, e.nodeId).toBe(0);
      expect(e.tookMs, e.nodeId).toBeLessThan(10_000);
    }
    expect(exits.reduce((n, e) => n + e.moved, 0)).toBeGreaterThanOrEqual(clients.length);

    // Every call resumed where its device went, and still carries signaling both ways.
    for (const { caller, callee, callId } of pairs) {
      for (const c of [caller, callee]) {
        if (sessions(c) > 1) await c.next('call_resumed', (p) => p.callId === callId, EVENT_MS);
      }
      expect(await caller.request('ice_candidate', { callId, candidate: { candidate: `after-${callId}` } })).toEqual({
        ok: true,
      });
      await callee.next('ice_candidate', (p) => p.candidate?.candidate === `after-${callId}`, EVENT_MS);
      expect(await callee.request('ice_candidate', { callId, candidate: { candidate: `back-${callId}` } })).toEqual({
        ok: true,
      });
      await caller.next('ice_candidate', (p) => p.candidate?.candidate === `back-${callId}`, EVENT_MS);
    }
    // Nobody heard of any call ending, and the sweep of the old nodes and the grace are long past.
    await new Promise((r) => setTimeout(r, 1500 + 500));
    for (const c of clients) expect(c.all('call_ended'), c.userId).toEqual([]);
    for (const { caller, callee, callId } of pairs) {
      expect(await caller.request('call_end', { callId })).toEqual({ ok: true });
      expect(await callee.next('call_ended', (p) => p.callId === callId, EVENT_MS)).toMatchObject({
        reason: 'hangup',
      });
    }
  });
});
