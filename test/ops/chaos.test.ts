import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Env, EVENT_MS, httpStatus, startEnv, waitFor } from '../multinode/helpers.js';
import { redisServerAvailable } from '../support/redis-server.js';
import { closeAll, FAKE_SDP, sleep, type TestClient, uniqueUser } from '../support/test-client.js';
import { type LoadBalancer, liveCallSets, reconnectingClient, startLoadBalancer } from './helpers.js';

const PAIRS = 4;
const RING_TIMEOUT_MS = 3000;
const GRACE_MS = 3000;
const NODE_TTL_MS = 1500;
const REQUEST_MS = 3000;

/** What a device did about ending calls: 'ok' it ended it (acked), 'unknown' an ending request got no answer. */
type OwnEnd = 'ok' | 'unknown';

const T0 = Date.now();
interface Device {
  client: TestClient;
  /** What happened to this device, for the failure message: requests, their answers, events, (re)connections. */
  trail: string[];
  ownEnds: Map<string, OwnEnd>;
  invited: Set<string>;
}

/** A request, sent only while connected (Socket.IO would otherwise send it later); undefined when unanswered. */
interface Answer {
  ok: boolean;
  error?: { code: string };
}

async function request(d: Device, event: string, payload: unknown): Promise<Answer | undefined> {
  const callId = (payload as { callId?: string }).callId?.slice(0, 8);
  if (!d.client.socket.connected) {
    d.trail.push(`${Date.now() - T0} ${event} ${callId} not sent`);
    return undefined;
  }
  let res: Answer | undefined;
  try {
    res = await d.client.request(event, payload, REQUEST_MS);
  } catch {
    res = undefined;
  }
  d.trail.push(
    `${Date.now() - T0} ${event} ${callId} -> ${res === undefined ? 'no answer' : res.ok ? 'ok' : res.error?.code}`,
  );
  return res;
}

/** Ends the call from this device until the server says it is over; records what this device knows it did. */
async function endCall(d: Device, callId: string): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const wasConnected = d.client.socket.connected;
    const res = await request(d, 'call_end', { callId });
    if (res?.ok) {
      if (d.ownEnds.get(callId) !== 'unknown') d.ownEnds.set(callId, 'ok');
      d.client.received.push({ event: OWN_END, payload: { callId } });
      return;
    }
    const code = res?.error?.code;
    if (code === 'INVALID_STATE' || code === 'CALL_NOT_FOUND' || code === 'NOT_PARTICIPANT') return;
    if (res === undefined && wasConnected) {
      d.ownEnds.set(callId, 'unknown');
      d.client.received.push({ event: OWN_END_UNKNOWN, payload: { callId } });
    }
    await sleep(300);
  }
}

/** Markers put into a device's `received` log, in order with the events, for what it did itself. */
const OWN_INVITE = '(own invite ok)';
const OWN_END = '(own end ok)';
const OWN_END_UNKNOWN = '(own end unanswered)';
const ANNOUNCE = new Set(['call_incoming', 'call_resumed', 'call_accepted', OWN_INVITE]);

interface Verdict {
  /** call_ended events plus ends the device made itself. */
  told: number;
  /** Live when the device reconnected, and not re-announced (call_resumed / call_incoming) after it. */
  silent: number;
  unknownOwnEnd: boolean;
  /** Announced again after the device was told it ended. */
  reannounced: boolean;
}

/**
 * Reads one device's log for one call. After a reconnect the server
 * re-announces every call the device is still in; one it does not mention
 * is over (the contract's resume rule; the SDK ends such a call itself).
 * Counting that silence as the end, each call must end exactly once.
 */
function verdict(d: Device, callId: string): Verdict {
  const v: Verdict = { told: 0, silent: 0, unknownOwnEnd: false, reannounced: false };
  let live = false;
  let ended = false;
  let pending = false;
  let sessions = 0;
  const settlePending = () => {
    if (pending) {
      v.silent++;
      live = false;
      ended = true;
    }
    pending = false;
  };
  for (const { event, payload } of d.client.received) {
    if (event === 'session') {
      if (sessions++ > 0) {
        settlePending();
        pending = live;
      }
      continue;
    }
    if (payload?.callId !== callId) continue;
    if (ANNOUNCE.has(event)) {
      if (ended && event !== 'call_accepted' && event !== OWN_INVITE) v.reannounced = true;
      if (!ended) live = true;
      pending = false;
    } else if (event === 'call_ended' || event === OWN_END) {
      v.told++;
      live = false;
      ended = true;
      pending = false;
    } else if (event === OWN_END_UNKNOWN) {
      v.unknownOwnEnd = true;
    } else pending = false;
  }
  settlePending();
  return v;
}

/** Calls this device heard of or placed, minus those it heard ended or ended itself. */
function liveCalls(d: Device): string[] {
  const seen = new Set(d.invited);
  for (const e of ['call_incoming', 'call_resumed', 'call_accepted'])
    for (const p of d.client.all(e)) seen.add(p.callId);
  for (const p of d.client.all('call_ended')) seen.delete(p.callId);
  for (const callId of d.ownEnds.keys()) seen.delete(callId);
  return [...seen];
}

describe.skipIf(!redisServerAvailable)('chaos: a node SIGKILLed and Redis restarted empty under call traffic', () => {
  let env: Env;
  let lb: LoadBalancer;
  const devices: Device[] = [];
  beforeAll(async () => {
    env = await startEnv(3, {
      RING_TIMEOUT_MS: String(RING_TIMEOUT_MS),
      RECONNECT_GRACE_MS: String(GRACE_MS),
      NODE_TTL_MS: String(NODE_TTL_MS),
    });
    lb = await startLoadBalancer(env.nodes.map((n) => n.url));
  });
  afterAll(async () => {
    closeAll(...devices.map((d) => d.client));
    await lb?.close();
    await env?.close();
  });

  it('no call stuck, no user stuck busy, every call ended exactly once on each side', async () => {
    const pairs: { caller: Device; callee: Device }[] = [];
    const device = async (name: string, deviceId: string) => {
      const client = await reconnectingClient(lb.url, uniqueUser(name), deviceId);
      const d: Device = { client, ownEnds: new Map(), invited: new Set<string>(), trail: [] };
      client.socket.onAny((event: string, p: { callId?: string; reason?: string; nodeId?: string }) =>
        d.trail.push(`${Date.now() - T0} <${event} ${p?.callId?.slice(0, 8) ?? p?.nodeId ?? ''} ${p?.reason ?? ''}`),
      );
      client.socket.on('disconnect', (reason) => d.trail.push(`${Date.now() - T0} disconnect ${reason}`));
      devices.push(d);
      return d;
    };
    for (let i = 0; i < PAIRS; i++)
      pairs.push({ caller: await device(`caller${i}`, 'c'), callee: await device(`callee${i}`, 'd') });

    let stop = false;
    const stats = { invites: 0, accepted: 0, cycles: 0 };
    const cycle = async ({ caller, callee }: { caller: Device; callee: Device }) => {
      const callId = randomUUID();
      stats.cycles++;
      const wasConnected = caller.client.socket.connected;
      const invite = await request(caller, 'call_invite', {
        to: callee.client.userId,
        media: 'audio',
        sdp: FAKE_SDP,
        callId,
      });
      if (invite?.ok) {
        caller.invited.add(callId);
        caller.client.received.push({ event: OWN_INVITE, payload: { callId } });
        stats.invites++;
      } else if (invite !== undefined || !wasConnected) {
        await sleep(200);
        return;
      }
      const incoming = await callee.client
        .next('call_incoming', (p) => p.callId === callId, REQUEST_MS)
        .catch(() => null);
      if (!incoming) return endCall(caller, callId);
      const accept = await request(callee, 'call_accept', { callId, sdp: 'answer' });
      if (!accept?.ok) return endCall(caller, callId);
      stats.accepted++;
      await request(caller, 'ice_candidate', { callId, candidate: { candidate: 'c' } });
      await request(callee, 'ice_candidate', { callId, candidate: null });
      await sleep(100 + Math.random() * 300);
      await endCall(Math.random() < 0.5 ? caller : callee, callId);
    };
    const loops = pairs.map(async (pair) => {
      while (!stop) await cycle(pair);
    });

    const allConnected = () => devices.every((d) => d.client.socket.connected);
    const liveNodes = () => env.nodes.filter((n) => !n.exited);
    await sleep(2000);
    const victim = env.nodes[1]!;
    await victim.kill();
    const mark = (what: string) => {
      for (const d of devices) d.trail.push(`${Date.now() - T0} ==== ${what}`);
    };
    mark('kill node');
    console.info(`chaos: SIGKILLed ${victim.nodeId} after ${stats.cycles} cycles`);
    await waitFor('every device reconnected to a live node', allConnected, 15_000);
    await sleep(1500);
    await env.redis.kill();
    mark('redis killed');
    console.info(`chaos: Redis killed after ${stats.cycles} cycles`);
    await sleep(1000);
    await env.redis.restart();
    mark('redis restarted');
    await waitFor(
      'the live nodes ready again',
      async () => (await Promise.all(liveNodes().map((n) => httpStatus(n.url, '/readyz')))).every((s) => s === 200),
      15_000,
    );
    console.info(`chaos: Redis back (empty) after ${stats.cycles} cycles`);
    await sleep(3000);
    stop = true;
    await Promise.all(loops);
    mark('traffic stopped');
    console.info(`chaos: traffic stopped: ${JSON.stringify(stats)}`);
    expect(stats.accepted).toBeGreaterThan(PAIRS);

    // Traffic stops: each device hangs up whatever it still thinks is live, then ring timeout and grace pass.
    await waitFor('every device connected', allConnected, 15_000);
    await Promise.all(devices.map(async (d) => Promise.all(liveCalls(d).map((callId) => endCall(d, callId)))));
    await sleep(RING_TIMEOUT_MS + GRACE_MS);
    const live = await waitFor(
      'every live-call set empty',
      async () => {
        const sets = await liveCallSets(env.redis.url);
        return Object.keys(sets).length === 0 ? sets : undefined;
      },
      NODE_TTL_MS + GRACE_MS + RING_TIMEOUT_MS + 5000,
      200,
    );
    expect(live).toEqual({});

    // Exactly once, per device and call: the call_ended events it got plus the ending it made itself.
    const problems: string[] = [];
    let checked = 0;
    let silent = 0;
    for (const d of devices) {
      const calls = new Set<string>([...d.invited, ...d.ownEnds.keys()]);
      for (const e of ['call_incoming', 'call_resumed', 'call_accepted', 'call_ended']) {
        for (const p of d.client.all(e)) calls.add(p.callId);
      }
      for (const callId of calls) {
        checked++;
        const v = verdict(d, callId);
        silent += v.silent;
        if (v.silent > 0) {
          const short = callId.slice(0, 8);
          const lines = d.trail.filter((l) => l.includes(short) || /session|disconnect|====/.test(l));
          console.info(`chaos: silent end of ${short} on ${d.client.userId}:\n${lines.join('\n')}`);
        }
        const n = v.told + v.silent;
        const fine = !v.reannounced && (n === 1 || (n === 0 && v.unknownOwnEnd));
        const own = d.ownEnds.get(callId);
        if (!fine) {
          const trail = d.client.received
            .filter((r) => r.payload?.callId === callId)
            .map((r) => `${r.event}${r.payload.reason ? `:${r.payload.reason}` : ''}`);
          problems.push(
            `${d.client.userId}/${d.client.deviceId} ${callId}: own=${own ?? '-'} events=${trail.join(',')}`,
          );
          const peer = pairs.find((p) => p.caller === d || p.callee === d)!;
          console.info(`${d.client.userId}:\n${d.trail.join('\n')}`);
          const other = peer.caller === d ? peer.callee : peer.caller;
          console.info(`${other.client.userId}:\n${other.trail.join('\n')}`);
        }
      }
    }
    console.info(
      `chaos: ${checked} (device, call) pairs checked; ${silent} ended silently (not resumed after a reconnect)`,
    );
    expect(problems).toEqual([]);

    // Nobody is stuck busy: every pair places, answers and ends a call.
    for (const { caller, callee } of pairs) {
      const invite = await caller.client.request('call_invite', {
        to: callee.client.userId,
        media: 'audio',
        sdp: FAKE_SDP,
      });
      expect(invite.ok, JSON.stringify(invite)).toBe(true);
      await callee.client.next('call_incoming', (p) => p.callId === invite.callId, EVENT_MS);
      expect(await callee.client.request('call_accept', { callId: invite.callId })).toEqual({ ok: true });
      expect(await caller.client.request('call_end', { callId: invite.callId })).toEqual({ ok: true });
    }
    for (const node of liveNodes()) {
      expect(node.stderr(), node.nodeId).not.toMatch(/unhandled|uncaught/i);
      expect(node.logs.filter((l) => (l.level as number) >= 60)).toEqual([]);
    }
  }, 180_000);
});
