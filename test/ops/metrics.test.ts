import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { activeCall, closeAll, connect, ringingCall, type TestClient, uniqueUser } from '../support/test-client.js';
import { metricValue, type Sample, scrape } from './helpers.js';

/** Polls /metrics until `check` holds (gauges are read at scrape time, counters move as events are handled). */
async function until(url: string, check: (s: Sample[]) => boolean, what: string): Promise<Sample[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const samples = await scrape(url);
    if (check(samples)) return samples;
    if (Date.now() > deadline) throw new Error(`metrics never showed ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('GET /metrics moves as calls happen', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ NODE_ID: 'metrics-node' });
  });
  afterAll(() => node.close());

  it('exposes every metric the operations guide lists, and the default process metrics', async () => {
    const res = await fetch(`${node.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const name of [
      'switchboard_sockets_connected',
      'switchboard_devices_online',
      'switchboard_users_online',
      'switchboard_calls',
      'switchboard_calls_started_total',
      'switchboard_calls_ended_total',
      'switchboard_call_setup_seconds',
      'switchboard_signaling_relayed_total',
      'switchboard_requests_total',
      'switchboard_rate_limited_total',
      'switchboard_abuse_disconnects_total',
      'switchboard_redis_command_seconds',
      'switchboard_redis_reconnects_total',
      'switchboard_cluster_messages_received_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('node="metrics-node"');
  });

  it('gauges follow sockets, devices, users and calls by state; counters follow the calls', async () => {
    const before = await scrape(node.url);
    const base = (name: string, labels: Record<string, string> = {}) => metricValue(before, name, labels);
    const alice = await connect(node.url, uniqueUser('alice'), { deviceId: 'a' });
    const bobPhone = await connect(node.url, uniqueUser('bob'), { deviceId: 'phone' });
    const bobLaptop = await connect(node.url, bobPhone.userId, { deviceId: 'laptop' });
    let s = await until(
      node.url,
      (m) => metricValue(m, 'switchboard_sockets_connected') === base('switchboard_sockets_connected') + 3,
      'three more sockets',
    );
    expect(metricValue(s, 'switchboard_devices_online')).toBe(base('switchboard_devices_online') + 3);
    expect(metricValue(s, 'switchboard_users_online')).toBe(base('switchboard_users_online') + 2);

    // Ringing on both of bob's devices and alice's: three sockets know the call as ringing.
    const { callId } = await ringingCall(alice, [bobPhone, bobLaptop]);
    s = await scrape(node.url);
    expect(metricValue(s, 'switchboard_calls_started_total')).toBe(base('switchboard_calls_started_total') + 1);
    expect(metricValue(s, 'switchboard_calls', { state: 'ringing' })).toBe(3);
    expect(await bobPhone.request('call_ringing', { callId })).toEqual({ ok: true });
    expect(await bobPhone.request('call_accept', { callId, sdp: 'answer' })).toEqual({ ok: true });
    await alice.next('call_accepted');
    s = await until(node.url, (m) => metricValue(m, 'switchboard_calls', { state: 'active' }) === 2, 'two active');
    expect(metricValue(s, 'switchboard_calls', { state: 'ringing' })).toBe(0);
    expect(metricValue(s, 'switchboard_call_setup_seconds_count')).toBe(
      base('switchboard_call_setup_seconds_count') + 1,
    );
    expect(metricValue(s, 'switchboard_calls_ended_total', { reason: 'answered_elsewhere' })).toBe(
      base('switchboard_calls_ended_total', { reason: 'answered_elsewhere' }),
    );

    for (const [from, event, payload] of [
      [alice, 'ice_candidate', { callId, candidate: { candidate: 'c1' } }],
      [bobPhone, 'ice_candidate', { callId, candidate: null }],
      [alice, 'sdp_offer', { callId, sdp: 'offer-2' }],
      [bobPhone, 'sdp_answer', { callId, sdp: 'answer-2' }],
    ] as const) {
      expect(await from.request(event, payload)).toEqual({ ok: true });
    }
    s = await scrape(node.url);
    const relayed = (event: string) =>
      metricValue(s, 'switchboard_signaling_relayed_total', { event }) -
      base('switchboard_signaling_relayed_total', { event });
    expect([relayed('ice_candidate'), relayed('sdp_offer'), relayed('sdp_answer')]).toEqual([2, 1, 1]);

    expect(await alice.request('call_end', { callId })).toEqual({ ok: true });
    s = await until(node.url, (m) => metricValue(m, 'switchboard_calls', { state: 'active' }) === 0, 'no active call');
    expect(
      metricValue(s, 'switchboard_calls_ended_total', { reason: 'hangup' }) -
        base('switchboard_calls_ended_total', { reason: 'hangup' }),
    ).toBe(1);

    // A cancelled and a rejected call, each counted once by reason.
    const cancelled = await ringingCall(alice, [bobPhone, bobLaptop]);
    expect(await alice.request('call_cancel', { callId: cancelled.callId })).toEqual({ ok: true });
    const rejected = await ringingCall(alice, [bobPhone, bobLaptop]);
    expect(await bobLaptop.request('call_reject', { callId: rejected.callId, reason: 'busy' })).toEqual({ ok: true });
    s = await scrape(node.url);
    const ended = (reason: string) =>
      metricValue(s, 'switchboard_calls_ended_total', { reason }) - base('switchboard_calls_ended_total', { reason });
    expect([ended('cancelled'), ended('busy'), ended('hangup')]).toEqual([1, 1, 1]);
    expect(metricValue(s, 'switchboard_calls_started_total')).toBe(base('switchboard_calls_started_total') + 3);

    closeAll(alice, bobPhone, bobLaptop);
    await until(
      node.url,
      (m) => metricValue(m, 'switchboard_sockets_connected') === base('switchboard_sockets_connected'),
      'the sockets gone',
    );
  });

  it('counts requests by event and outcome, rejected ones by their error code', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const before = await scrape(node.url);
    const delta = (after: Sample[], event: string, outcome: string) =>
      metricValue(after, 'switchboard_requests_total', { event, outcome }) -
      metricValue(before, 'switchboard_requests_total', { event, outcome });
    await alice.request('call_invite', { to: 'x' });
    await alice.request('call_invite', { to: alice.userId, media: 'audio', sdp: 'v=0' });
    await alice.request('call_end', { callId: '6f1c2b1e-8a4d-4c1e-9f00-0123456789ab' });
    await alice.request('no_such_event', {});
    await alice.request('heartbeat', {});
    const after = await scrape(node.url);
    expect(delta(after, 'call_invite', 'INVALID_PAYLOAD')).toBe(1);
    expect(delta(after, 'call_invite', 'SELF_CALL')).toBe(1);
    expect(delta(after, 'call_end', 'CALL_NOT_FOUND')).toBe(1);
    expect(delta(after, 'unknown', 'INVALID_PAYLOAD')).toBe(1);
    expect(delta(after, 'heartbeat', 'ok')).toBe(1);
    alice.close();
  });

  it('the setup histogram observes invite-to-accept time', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const before = await scrape(node.url);
    const callId = await activeCall(alice, [bob]);
    const after = await scrape(node.url);
    expect(metricValue(after, 'switchboard_call_setup_seconds_count')).toBe(
      metricValue(before, 'switchboard_call_setup_seconds_count') + 1,
    );
    const sum =
      metricValue(after, 'switchboard_call_setup_seconds_sum') -
      metricValue(before, 'switchboard_call_setup_seconds_sum');
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(sum).toBeLessThan(5);
    await alice.request('call_end', { callId });
    closeAll(alice, bob);
  });
});

describe('rate-limit hits in /metrics', () => {
  let node: InProcessNode;
  let clients: TestClient[] = [];
  beforeAll(async () => {
    node = await startNode({ RATE_LIMIT_REQUESTS_PER_10S: '2', RATE_LIMIT_CONNECTIONS_PER_10S: '3' });
  });
  afterAll(async () => {
    closeAll(...clients);
    await node.close();
  });

  it('counts refused requests and connections by limit', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    clients.push(alice);
    for (let i = 0; i < 2; i++) expect((await alice.request('heartbeat', {})).ok).toBe(true);
    for (let i = 0; i < 3; i++) expect((await alice.request('heartbeat', {})).error.code).toBe('RATE_LIMITED');
    // Two more connections use the per-IP budget of three; the fourth is refused.
    clients = [alice, await connect(node.url, uniqueUser('b')), await connect(node.url, uniqueUser('c'))];
    await expect(connect(node.url, uniqueUser('d'))).rejects.toThrow('RATE_LIMITED');
    const s = await scrape(node.url);
    expect(metricValue(s, 'switchboard_rate_limited_total', { limit: 'request' })).toBe(3);
    expect(metricValue(s, 'switchboard_rate_limited_total', { limit: 'connection' })).toBe(1);
    expect(metricValue(s, 'switchboard_requests_total', { event: 'heartbeat', outcome: 'RATE_LIMITED' })).toBe(3);
  });
});
