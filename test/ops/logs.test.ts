import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Env, EVENT_MS, startEnv, waitFor } from '../multinode/helpers.js';
import { redisServerAvailable } from '../support/redis-server.js';
import { closeAll, connect, ringingCall, uniqueUser } from '../support/test-client.js';
import { tokenFor } from '../support/tokens.js';
import { metricValue, scrape } from './helpers.js';

/** Text no log line at info or above may contain. */
const SDP_MARK = 'SDPMARK-7d1f';
const CANDIDATE_MARK = 'CANDMARK-93ac';
const INFO = 30;

type Line = Record<string, unknown>;

describe.skipIf(!redisServerAvailable)('structured logs of a two-node cluster', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(2, { LOG_LEVEL: 'debug', RING_TIMEOUT_MS: '1500', ABUSE_MAX_STRIKES: '3' });
  });
  afterAll(async () => {
    await env?.close();
  });

  const allLogs = (): (Line & { from: string })[] =>
    env.nodes.flatMap((n) => n.logs.map((l) => ({ ...l, from: n.nodeId })));
  const callLines = (callId: string) => allLogs().filter((l) => l.callId === callId && l.level === INFO);

  it('one info line per call transition, with nodeId, callId, userId and deviceId; no SDP, candidate or token above debug', async () => {
    const [n1, n2] = env.nodes;
    const aliceId = uniqueUser('alice');
    const aliceToken = await tokenFor(aliceId);
    const alice = await connect(n1!.url, aliceId, { deviceId: 'a', token: aliceToken });
    const bobPhone = await connect(n2!.url, uniqueUser('bob'), { deviceId: 'phone' });
    const bobLaptop = await connect(n1!.url, bobPhone.userId, { deviceId: 'laptop' });
    const sdp = `v=0\r\no=${SDP_MARK} 1 2 IN IP4 127.0.0.1\r\n`;
    const candidate = { candidate: `candidate:${CANDIDATE_MARK} 1 udp 1 10.0.0.1 5000 typ host`, sdpMid: '0' };

    // Answered (on the other node than the invite), with relayed signaling, then hung up.
    const answered = (await ringingCall(alice, [bobPhone, bobLaptop], { sdp })).callId;
    expect(await bobPhone.request('call_ringing', { callId: answered })).toEqual({ ok: true });
    expect(await bobLaptop.request('call_ringing', { callId: answered })).toEqual({ ok: true });
    expect(await alice.request('ice_candidate', { callId: answered, candidate })).toEqual({ ok: true });
    expect(await bobPhone.request('call_accept', { callId: answered, sdp })).toEqual({ ok: true });
    await alice.next('call_accepted', (p) => p.callId === answered, EVENT_MS);
    expect(await bobPhone.request('ice_candidate', { callId: answered, candidate })).toEqual({ ok: true });
    expect(await alice.request('sdp_offer', { callId: answered, sdp })).toEqual({ ok: true });
    await bobPhone.next('sdp_offer', (p) => p.callId === answered, EVENT_MS);
    expect(await bobPhone.request('call_end', { callId: answered })).toEqual({ ok: true });
    await alice.next('call_ended', (p) => p.callId === answered, EVENT_MS);

    // Rejected, and one left to time out.
    const rejected = (await ringingCall(alice, [bobPhone, bobLaptop], { sdp })).callId;
    expect(await bobLaptop.request('call_reject', { callId: rejected })).toEqual({ ok: true });
    await alice.next('call_ended', (p) => p.callId === rejected, EVENT_MS);
    const timedOut = (await ringingCall(alice, [bobPhone, bobLaptop], { sdp })).callId;
    await alice.next('call_ended', (p) => p.callId === timedOut && p.reason === 'timeout', EVENT_MS);

    await waitFor('the last call ended line', () => callLines(timedOut).some((l) => l.msg === 'call ended'));
    const alicePart = { userId: alice.userId, deviceId: 'a' };
    const phonePart = { userId: bobPhone.userId, deviceId: 'phone' };

    const a = callLines(answered);
    expect(a.map((l) => l.msg)).toEqual(['call created', 'call ringing', 'call accepted', 'call ended']);
    expect(a[0]).toMatchObject({ nodeId: 'node-1', from: 'node-1', ...alicePart, caller: alicePart, media: 'audio' });
    expect(a[1]).toMatchObject({ ...phonePart, caller: alicePart, callee: { userId: bobPhone.userId } });
    expect(a[2]).toMatchObject({ nodeId: 'node-2', from: 'node-2', ...phonePart, callee: phonePart });
    expect(a[2]!.setupMs).toBeTypeOf('number');
    expect(a[3]).toMatchObject({ nodeId: 'node-2', ...phonePart, reason: 'hangup', caller: alicePart });
    expect(a[3]!.durationMs).toBeTypeOf('number');

    expect(callLines(rejected).map((l) => [l.msg, l.reason, l.deviceId])).toEqual([
      ['call created', undefined, 'a'],
      ['call ended', 'rejected', 'laptop'],
    ]);
    const t = callLines(timedOut);
    expect(t.map((l) => [l.msg, l.reason])).toEqual([
      ['call created', undefined],
      ['call ended', 'timeout'],
    ]);
    // A timeout has no device behind it: the line names the call's users instead.
    expect(t[1]).toMatchObject({ caller: alicePart, callee: { userId: bobPhone.userId } });
    expect(t[1]).not.toHaveProperty('deviceId');

    const lines = allLogs();
    for (const line of lines) expect(line.nodeId, JSON.stringify(line)).toBe(line.from);
    const loud = lines.filter((l) => (l.level as number) >= INFO).map((l) => JSON.stringify(l));
    for (const text of loud) {
      expect(text).not.toContain(SDP_MARK);
      expect(text).not.toContain(CANDIDATE_MARK);
      expect(text).not.toContain(aliceToken);
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    }
    closeAll(alice, bobPhone, bobLaptop);
  });

  it('device lines carry userId and deviceId: an abusive socket is logged at warn with both', async () => {
    const [n1] = env.nodes;
    const mallory = await connect(n1!.url, uniqueUser('mallory'), { deviceId: 'evil' });
    const gone = mallory.disconnected(EVENT_MS);
    for (let i = 0; i < 4; i++) await mallory.request('call_accept', { callId: 1 }).catch(() => undefined);
    expect(await gone).toBe('io server disconnect');
    const line = await waitFor('the abuse line', () =>
      env.nodes[0]!.logs.find((l) => l.msg === 'socket disconnected for abuse' && l.userId === mallory.userId),
    );
    expect(line).toMatchObject({ level: 40, nodeId: 'node-1', deviceId: 'evil', strikes: 4, last: 'invalid' });
    const disconnected = await waitFor('the debug line of the disconnect', () =>
      env.nodes[0]!.logs.find((l) => l.msg === 'socket disconnected' && l.userId === mallory.userId),
    );
    expect(disconnected).toMatchObject({ level: 20, deviceId: 'evil', reason: 'server namespace disconnect' });
  });

  it('Redis command latency and adapter traffic show in /metrics of a Redis-backed node', async () => {
    const s = await scrape(env.nodes[0]!.url);
    expect(metricValue(s, 'switchboard_redis_command_seconds_count', { operation: 'createCall' })).toBeGreaterThan(0);
    expect(metricValue(s, 'switchboard_redis_command_seconds_count')).toBeGreaterThan(10);
    expect(metricValue(s, 'switchboard_cluster_messages_received_total')).toBeGreaterThan(0);
    expect(metricValue(s, 'switchboard_calls_started_total')).toBe(3);
    expect(metricValue(s, 'switchboard_abuse_disconnects_total')).toBe(1);
  });
});
