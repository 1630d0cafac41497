import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { closeAll, connect, connectError, FAKE_SDP, settle, uniqueUser } from '../support/test-client.js';
import { tokenFor } from '../support/tokens.js';

const limited = (windowMs: number) => ({
  ok: false,
  error: {
    code: 'RATE_LIMITED',
    message: expect.any(String),
    retryAfterMs: expect.toSatisfy((ms: number) => Number.isInteger(ms) && ms > 0 && ms <= windowMs),
  },
});

describe('request limits', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({
      RATE_LIMIT_REQUESTS_PER_10S: '3',
      RATE_LIMIT_INVITES_PER_MIN: '2',
      RATE_LIMIT_SIGNALING_PER_10S: '3',
    });
  });
  afterAll(() => node.close());

  it('past the request limit the answer is RATE_LIMITED with retryAfterMs; the limit is per device', async () => {
    const phone = await connect(node.url, uniqueUser('alice'), { deviceId: 'phone' });
    const laptop = await connect(node.url, phone.userId, { deviceId: 'laptop' });
    expect((await phone.request('heartbeat', {})).ok).toBe(true);
    expect((await phone.request('presence_query', { userIds: ['x'] })).ok).toBe(true);
    expect((await phone.request('heartbeat', {})).ok).toBe(true);
    expect(await phone.request('heartbeat', {})).toEqual(limited(10_000));
    expect(await phone.request('presence_subscribe', { userIds: ['x'] })).toEqual(limited(10_000));
    expect((await laptop.request('heartbeat', {})).ok).toBe(true);
    closeAll(phone, laptop);
  });

  it('invalid payloads do not use up the limit, and are INVALID_PAYLOAD even past it', async () => {
    const client = await connect(node.url, uniqueUser('sloppy'));
    for (let i = 0; i < 6; i++) expect((await client.request('heartbeat')).error.code).toBe('INVALID_PAYLOAD');
    for (let i = 0; i < 3; i++) expect((await client.request('heartbeat', {})).ok).toBe(true);
    expect(await client.request('heartbeat', {})).toEqual(limited(10_000));
    expect((await client.request('call_accept', { callId: 'nope' })).error.code).toBe('INVALID_PAYLOAD');
    expect((await client.request('unknown_event', {})).error.code).toBe('INVALID_PAYLOAD');
    client.close();
  });

  it('refused requests use up the limit; the limit comes before the call lookup', async () => {
    const client = await connect(node.url, uniqueUser('lost'));
    for (let i = 0; i < 3; i++) {
      expect((await client.request('call_accept', { callId: randomUUID() })).error.code).toBe('CALL_NOT_FOUND');
    }
    expect(await client.request('call_accept', { callId: randomUUID() })).toEqual(limited(10_000));
    expect(await client.request('heartbeat', {})).toEqual(limited(10_000));
    client.close();
  });

  it('call_invite has its own per-user limit and counts toward it only', async () => {
    const phone = await connect(node.url, uniqueUser('caller'), { deviceId: 'phone' });
    const laptop = await connect(node.url, phone.userId, { deviceId: 'laptop' });
    const offline = { to: uniqueUser('offline'), media: 'audio', sdp: FAKE_SDP };
    expect((await phone.request('call_invite', offline)).error.code).toBe('USER_OFFLINE');
    expect((await laptop.request('call_invite', offline)).error.code).toBe('USER_OFFLINE');
    expect(await phone.request('call_invite', offline)).toEqual(limited(60_000));
    expect(await laptop.request('call_invite', offline)).toEqual(limited(60_000));
    // The request budget of each device is untouched.
    for (let i = 0; i < 3; i++) expect((await phone.request('heartbeat', {})).ok).toBe(true);
    expect((await phone.request('heartbeat', {})).error.code).toBe('RATE_LIMITED');
    closeAll(phone, laptop);
  });

  it('an exhausted request budget does not stop call_invite', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    for (let i = 0; i < 3; i++) await alice.request('heartbeat', {});
    expect((await alice.request('heartbeat', {})).error.code).toBe('RATE_LIMITED');
    const res = await alice.request('call_invite', { to: uniqueUser('offline'), media: 'audio', sdp: FAKE_SDP });
    expect(res.error.code).toBe('USER_OFFLINE');
    alice.close();
  });

  it('repeated idempotent invites use up the invite limit', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const invite = { to: bob.userId, media: 'audio', sdp: FAKE_SDP, callId: randomUUID() };
    const first = await alice.request('call_invite', invite);
    expect(first.ok).toBe(true);
    expect(await alice.request('call_invite', invite)).toEqual(first);
    expect(await alice.request('call_invite', invite)).toEqual(limited(60_000));
    await settle();
    expect(bob.all('call_incoming')).toHaveLength(1);
    await alice.request('call_cancel', { callId: invite.callId });
    closeAll(alice, bob);
  });

  it('signaling has its own per-device limit; past it nothing is forwarded', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const { callId } = await alice.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP });
    await bob.next('call_incoming');
    expect(await bob.request('call_accept', { callId })).toEqual({ ok: true });
    expect(await alice.request('ice_candidate', { callId, candidate: null })).toEqual({ ok: true });
    expect(await alice.request('sdp_offer', { callId, sdp: 'o1' })).toEqual({ ok: true });
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'c' } })).toEqual({ ok: true });
    expect(await alice.request('ice_candidate', { callId, candidate: { candidate: 'late' } })).toEqual(limited(10_000));
    expect(await alice.request('sdp_offer', { callId, sdp: 'o2' })).toEqual(limited(10_000));
    // The request budget is separate: alice can still hang up, bob can still signal.
    expect(await bob.request('sdp_answer', { callId, sdp: 'a1' })).toEqual({ ok: true });
    await settle();
    expect(bob.all('ice_candidate').map((p) => p.candidate)).toEqual([null, { candidate: 'c' }]);
    expect(bob.all('sdp_offer').map((p) => p.sdp)).toEqual(['o1']);
    expect(await alice.request('call_end', { callId })).toEqual({ ok: true });
    closeAll(alice, bob);
  });

  it('a rate-limited ack-less request gets request_error with retryAfterMs', async () => {
    const client = await connect(node.url, uniqueUser('noack'));
    const emit = (event: string, payload: unknown) =>
      (client.socket as unknown as { emit: (e: string, p: unknown) => void }).emit(event, payload);
    for (let i = 0; i < 4; i++) emit('heartbeat', {});
    expect(await client.next('request_error')).toEqual({
      event: 'heartbeat',
      code: 'RATE_LIMITED',
      message: expect.any(String),
      retryAfterMs: expect.any(Number),
    });
    await settle();
    expect(client.all('request_error')).toHaveLength(1);
    client.close();
  });
});

describe('connection limit per IP', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ RATE_LIMIT_CONNECTIONS_PER_10S: '2' });
  });
  afterAll(() => node.close());

  it('refuses connections past the limit with connect_error RATE_LIMITED and err.data.retryAfterMs', async () => {
    const a = await connect(node.url, uniqueUser('a'));
    // Without TRUST_PROXY, X-Forwarded-For is ignored: the socket's address counts.
    const b = await connect(node.url, uniqueUser('b'));
    const err = await connectError(
      node.url,
      { token: await tokenFor(uniqueUser('c')) },
      { extraHeaders: { 'x-forwarded-for': '203.0.113.9' } },
    );
    expect(err.message).toBe('RATE_LIMITED');
    expect(err.data).toEqual({ retryAfterMs: expect.any(Number) });
    expect(err.data.retryAfterMs).toBeGreaterThan(0);
    expect(err.data.retryAfterMs).toBeLessThanOrEqual(10_000);
    // The connected ones are unaffected.
    expect((await a.request('heartbeat', {})).ok).toBe(true);
    closeAll(a, b);
  });
});

describe('connection limit behind a trusted proxy', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ RATE_LIMIT_CONNECTIONS_PER_10S: '1', TRUST_PROXY: '1' });
  });
  afterAll(() => node.close());

  it('counts the first X-Forwarded-For hop', async () => {
    const via = (ip: string) => ({ extraHeaders: { 'x-forwarded-for': `${ip}, 10.0.0.1` } });
    const open = async (ip: string) => {
      const token = await tokenFor(uniqueUser('u'));
      return connectError(node.url, { token }, via(ip)).then(
        (err) => err.message,
        () => 'connected',
      );
    };
    expect(await open('198.51.100.1')).toBe('connected');
    expect(await open('198.51.100.2')).toBe('connected');
    expect(await open('198.51.100.1')).toBe('RATE_LIMITED');
  });
});
