import { randomUUID } from 'node:crypto';
import { clientEventNames, errorCodes } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import {
  activeCall,
  closeAll,
  connect,
  FAKE_SDP,
  ref,
  ringingCall,
  settle,
  type TestClient,
  uniqueUser,
} from '../support/test-client.js';

const ID = '6f1c2b1e-8a4d-4c1e-9f00-0123456789ab';
const goodCandidate = { candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
const nonObjects = [null, 'text', 42, true, [], [{}]];
const tooManyIds = Array.from({ length: 101 }, (_, i) => `user${i}`);

/** Malformed payloads for every client event: each must be answered INVALID_PAYLOAD. */
const malformed: Record<string, unknown[]> = {
  heartbeat: [...nonObjects],
  presence_subscribe: [
    ...nonObjects,
    {},
    { userIds: [] },
    { userIds: 'bob' },
    { userIds: ['bad id'] },
    { userIds: [''] },
    { userIds: [7] },
    { userIds: tooManyIds },
    { userIds: ['x'.repeat(129)] },
  ],
  presence_unsubscribe: [...nonObjects, {}, { userIds: [] }, { userIds: ['bad/id'] }, { userIds: tooManyIds }],
  presence_query: [...nonObjects, {}, { userIds: [] }, { userIds: [null] }, { userIds: tooManyIds }],
  call_invite: [
    ...nonObjects,
    {},
    { media: 'audio', sdp: FAKE_SDP },
    { to: 'bob', sdp: FAKE_SDP },
    { to: 'bob', media: 'audio' },
    { to: 'bob', media: 'text', sdp: FAKE_SDP },
    { to: 'bob', media: 'audio', sdp: '' },
    { to: 'bob', media: 'audio', sdp: 42 },
    { to: 'bad id', media: 'audio', sdp: FAKE_SDP },
    { to: ['bob'], media: 'audio', sdp: FAKE_SDP },
    { to: 'bob', media: 'audio', sdp: FAKE_SDP, callId: 'not-a-uuid' },
    { to: 'bob', media: 'audio', sdp: FAKE_SDP, callId: `${ID}0` },
    { to: 'bob', media: 'audio', sdp: FAKE_SDP, callId: 12 },
    { to: 'bob', media: 'audio', sdp: FAKE_SDP, metadata: null },
    { to: 'bob', media: 'audio', sdp: FAKE_SDP, metadata: [1, 2] },
    { to: 'bob', media: 'audio', sdp: FAKE_SDP, metadata: 'text' },
    { to: 'bob', media: 'audio', sdp: FAKE_SDP, metadata: 3 },
  ],
  call_accept: [...nonObjects, {}, { callId: 'x' }, { callId: ID, sdp: '' }, { callId: ID, sdp: 1 }, { callId: null }],
  call_ringing: [...nonObjects, {}, { callId: 'x' }, { callId: 1 }],
  call_reject: [...nonObjects, {}, { callId: 'nope' }, { callId: ID, reason: 'hangup' }, { callId: ID, reason: 1 }],
  call_cancel: [...nonObjects, {}, { callId: ID.slice(1) }],
  call_end: [...nonObjects, {}, { callId: '' }, { callId: ID, reason: 'busy' }, { callId: ID, reason: 'declined' }],
  sdp_offer: [
    ...nonObjects,
    {},
    { callId: ID },
    { callId: ID, sdp: '' },
    { callId: 'x', sdp: FAKE_SDP },
    { sdp: FAKE_SDP },
  ],
  sdp_answer: [...nonObjects, { callId: ID }, { callId: ID, sdp: null }, { callId: ID, sdp: [FAKE_SDP] }],
  ice_candidate: [
    ...nonObjects,
    {},
    { callId: ID },
    { callId: ID, candidate: 'candidate:1' },
    { callId: ID, candidate: {} },
    { callId: ID, candidate: { candidate: 1 } },
    { callId: ID, candidate: { ...goodCandidate, sdpMLineIndex: 0.5 } },
    { callId: ID, candidate: { ...goodCandidate, sdpMLineIndex: -1 } },
    { callId: ID, candidate: { ...goodCandidate, sdpMid: 3 } },
    { callId: ID, candidate: { ...goodCandidate, usernameFragment: {} } },
    { callId: 'x', candidate: null },
  ],
  call_history: [...nonObjects, { limit: 0 }, { limit: 101 }, { limit: 1.5 }, { limit: '10' }, { before: 'yesterday' }],
};

describe('payload validation', () => {
  let node: InProcessNode;
  let client: TestClient;
  beforeAll(async () => {
    node = await startNode();
    client = await connect(node.url, uniqueUser('validator'));
  });
  afterAll(async () => {
    client?.close();
    await node.close();
  });

  it('has malformed payloads for every client event', () => {
    expect(Object.keys(malformed).sort()).toEqual([...clientEventNames].sort());
  });

  for (const [event, payloads] of Object.entries(malformed)) {
    it(`${event}: each malformed payload is INVALID_PAYLOAD`, async () => {
      for (const payload of payloads) {
        const res = await client.request(event, payload);
        expect(res, `${event} ${JSON.stringify(payload)}`).toEqual({
          ok: false,
          error: { code: 'INVALID_PAYLOAD', message: expect.any(String) },
        });
      }
    });
  }

  it('a request with an ack but no payload is INVALID_PAYLOAD, for every event', async () => {
    for (const event of clientEventNames) {
      expect((await client.request(event)).error?.code, event).toBe('INVALID_PAYLOAD');
    }
  });

  it('an unknown event is INVALID_PAYLOAD, through the ack or as request_error', async () => {
    expect(await client.request('call_teleport', { to: 'bob' })).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: expect.any(String) },
    });
    expect((await client.request('session')).error.code).toBe('INVALID_PAYLOAD');
    (client.socket as unknown as { emit: (e: string, p: unknown) => void }).emit('call_teleport', { to: 'bob' });
    expect(await client.next('request_error', (p) => p.event === 'call_teleport')).toEqual({
      event: 'call_teleport',
      code: 'INVALID_PAYLOAD',
      message: expect.any(String),
    });
  });

  it('the node survives all of it and wrote nothing', async () => {
    expect((await client.request('heartbeat', {})).ok).toBe(true);
    expect(await node.store.listUserCalls(client.userId)).toEqual([]);
    expect(await node.store.listUserCalls('bob')).toEqual([]);
  });

  it('extra fields in a valid payload are dropped, not refused', async () => {
    expect(await client.request('heartbeat', { junk: 1 })).toEqual({ ok: true, serverTime: expect.any(Number) });
    expect((await client.request('presence_query', { userIds: ['x'], junk: true })).ok).toBe(true);
    expect(await client.request('call_history', {})).toEqual({ ok: true, calls: expect.any(Array) });
    expect(await client.request('call_history', { limit: 100, before: Date.now() })).toEqual({
      ok: true,
      calls: expect.any(Array),
    });
  });

  it('__proto__ keys in payloads and metadata are plain data: no pollution, metadata kept as sent', async () => {
    const bob = await connect(node.url, uniqueUser('bob'));
    const metadata = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const payload = JSON.parse(
      `{"__proto__": {"isAdmin": true}, "to": "${bob.userId}", "media": "audio", "sdp": "v=0"}`,
    );
    const res = await client.request('call_invite', { ...payload, metadata });
    expect(res.ok).toBe(true);
    const incoming = await bob.next('call_incoming');
    expect(Object.hasOwn(incoming.metadata, '__proto__')).toBe(true);
    expect(incoming.metadata.a).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    await client.request('call_cancel', { callId: res.callId });
    bob.close();
  });

  it('a message too large for the transport drops that connection only; the node goes on', async () => {
    const big = await connect(node.url, uniqueUser('big'));
    const reason = big.disconnected();
    (big.socket as unknown as { emit: (e: string, p: unknown) => void }).emit('heartbeat', {
      pad: 'x'.repeat(1024 * 1024),
    });
    expect(await reason).toBeTypeOf('string');
    expect((await client.request('heartbeat', {})).ok).toBe(true);
  });

  it('lists of exactly 100 ids are accepted', async () => {
    const ids = tooManyIds.slice(0, 100);
    expect((await client.request('presence_query', { userIds: ids })).presence).toHaveLength(100);
    expect((await client.request('presence_subscribe', { userIds: ids })).presence).toHaveLength(100);
    expect(await client.request('presence_unsubscribe', { userIds: ids })).toEqual({ ok: true });
  });
});

describe('sizes, ids and unknown fields', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.close());

  async function pair() {
    const alice = await connect(node.url, uniqueUser('alice'), { deviceId: 'a1' });
    const bob = await connect(node.url, uniqueUser('bob'), { deviceId: 'b1' });
    return { alice, bob };
  }

  it('sdp is limited to 64 KiB in UTF-8 bytes (invite, accept, sdp_offer, sdp_answer)', async () => {
    const { alice, bob } = await pair();
    const invite = (sdp: string) => alice.request('call_invite', { to: bob.userId, media: 'audio', sdp });
    const fits = ['a'.repeat(65536), 'é'.repeat(32768), '😀'.repeat(16384)];
    const tooBig = ['a'.repeat(65537), 'é'.repeat(32769), `${'😀'.repeat(16384)}a`, `${'€'.repeat(21845)}ab`];
    for (const sdp of tooBig) expect((await invite(sdp)).error?.code).toBe('INVALID_PAYLOAD');
    for (const sdp of fits) {
      const res = await invite(sdp);
      expect(res.ok).toBe(true);
      expect((await bob.next('call_incoming', (p) => p.callId === res.callId)).sdp).toBe(sdp);
      await alice.request('call_cancel', { callId: res.callId });
    }
    const { callId } = await ringingCall(alice, [bob]);
    expect((await bob.request('call_accept', { callId, sdp: 'é'.repeat(32769) })).error.code).toBe('INVALID_PAYLOAD');
    expect(await bob.request('call_accept', { callId, sdp: 'é'.repeat(32768) })).toEqual({ ok: true });
    for (const event of ['sdp_offer', 'sdp_answer']) {
      expect((await alice.request(event, { callId, sdp: 'é'.repeat(32769) })).error.code).toBe('INVALID_PAYLOAD');
      expect(await alice.request(event, { callId, sdp: 'é'.repeat(32768) })).toEqual({ ok: true });
    }
    await settle();
    expect(bob.all('sdp_offer')).toHaveLength(1);
    expect(bob.all('sdp_answer')).toHaveLength(1);
    await alice.request('call_end', { callId });
    closeAll(alice, bob);
  });

  it('a candidate string is limited to 2 KiB in UTF-8 bytes', async () => {
    const { alice, bob } = await pair();
    const { callId } = await ringingCall(alice, [bob]);
    const send = (candidate: string) => alice.request('ice_candidate', { callId, candidate: { candidate } });
    for (const s of ['a'.repeat(2049), 'é'.repeat(1025), '😀'.repeat(513)]) {
      expect((await send(s)).error?.code).toBe('INVALID_PAYLOAD');
    }
    for (const s of ['a'.repeat(2048), 'é'.repeat(1024), '😀'.repeat(512), ''])
      expect(await send(s)).toEqual({ ok: true });
    await settle();
    expect(bob.all('ice_candidate').map((p) => p.candidate.candidate)).toEqual([
      'a'.repeat(2048),
      'é'.repeat(1024),
      '😀'.repeat(512),
      '',
    ]);
    await alice.request('call_cancel', { callId });
    closeAll(alice, bob);
  });

  it('metadata is limited to 2 KiB serialized, in UTF-8 bytes', async () => {
    const { alice, bob } = await pair();
    const invite = (metadata: unknown) =>
      alice.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP, metadata });
    // JSON.stringify({ k: s }) is 8 bytes plus s.
    for (const s of ['a'.repeat(2041), 'é'.repeat(1021)]) {
      expect(Buffer.byteLength(JSON.stringify({ k: s }))).toBeGreaterThan(2048);
      expect((await invite({ k: s })).error?.code).toBe('INVALID_PAYLOAD');
    }
    for (const s of ['a'.repeat(2040), 'é'.repeat(1020)]) {
      expect(Buffer.byteLength(JSON.stringify({ k: s }))).toBe(2048);
      const res = await invite({ k: s });
      expect(res.ok).toBe(true);
      expect((await bob.next('call_incoming', (p) => p.callId === res.callId)).metadata).toEqual({ k: s });
      await alice.request('call_cancel', { callId: res.callId });
    }
    expect((await invite({})).ok).toBe(true);
    closeAll(alice, bob);
  });

  it('UUIDs are accepted in either case', async () => {
    const { alice, bob } = await pair();
    const upper = randomUUID().toUpperCase();
    const res = await alice.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP, callId: upper });
    expect(res.ok).toBe(true);
    expect(res.callId.toLowerCase()).toBe(upper.toLowerCase());
    const incoming = await bob.next('call_incoming');
    expect(incoming.callId.toLowerCase()).toBe(upper.toLowerCase());
    expect(await bob.request('call_ringing', { callId: upper.toLowerCase() })).toEqual({ ok: true });
    expect(await bob.request('call_accept', { callId: upper })).toEqual({ ok: true });
    expect(await alice.request('call_end', { callId: upper.toLowerCase() })).toEqual({ ok: true });
    closeAll(alice, bob);
  });

  it('unknown fields are dropped and never forwarded; from and by are the server’s', async () => {
    const alice = await connect(node.url, uniqueUser('alice'), { deviceId: 'a1' });
    const bob = await connect(node.url, uniqueUser('bob'), { deviceId: 'b1' });
    const bob2 = await connect(node.url, bob.userId, { deviceId: 'b2' });
    const forged = { userId: 'mallory', deviceId: 'evil' };
    const res = await alice.request('call_invite', {
      to: bob.userId,
      media: 'audio',
      sdp: FAKE_SDP,
      from: forged,
      candidates: [goodCandidate],
      createdAt: 1,
      expiresAt: 2,
      secret: 'x',
    });
    const { callId } = res;
    expect(await bob.next('call_incoming')).toEqual({
      callId,
      from: ref(alice),
      media: 'audio',
      sdp: FAKE_SDP,
      candidates: [],
      createdAt: expect.any(Number),
      expiresAt: res.expiresAt,
    });
    await alice.request('ice_candidate', {
      callId,
      candidate: { ...goodCandidate, usernameFragment: 'uf', extra: 'x' },
      from: forged,
      junk: 1,
    });
    expect(await bob.next('ice_candidate')).toEqual({
      callId,
      candidate: { ...goodCandidate, usernameFragment: 'uf' },
      from: ref(alice),
    });
    const late = await connect(node.url, bob.userId, { deviceId: 'b3' });
    expect((await late.next('call_incoming')).candidates).toEqual([{ ...goodCandidate, usernameFragment: 'uf' }]);
    await bob.request('call_ringing', { callId, by: forged, junk: 1 });
    expect(await alice.next('call_ringing')).toEqual({ callId, by: ref(bob) });
    await bob.request('call_accept', { callId, sdp: 'ans', by: forged, junk: 1 });
    expect(await alice.next('call_accepted')).toEqual({ callId, sdp: 'ans', by: ref(bob) });
    expect(await bob2.next('call_ended')).toEqual({ callId, reason: 'answered_elsewhere', by: ref(bob) });
    await alice.request('sdp_offer', { callId, sdp: 'o', from: forged, junk: 1 });
    expect(await bob.next('sdp_offer')).toEqual({ callId, sdp: 'o', from: ref(alice) });
    await bob.request('sdp_answer', { callId, sdp: 'a', from: forged, junk: 1 });
    expect(await alice.next('sdp_answer')).toEqual({ callId, sdp: 'a', from: ref(bob) });
    await bob.request('call_end', { callId, reason: 'hangup', by: forged, junk: 1 });
    expect(await alice.next('call_ended')).toEqual({ callId, reason: 'hangup', by: ref(bob) });
    closeAll(alice, bob, bob2, late);
  });
});

describe('error codes', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.close());

  const code = async (who: TestClient, event: string, payload: object) => {
    const res = await who.request(event, payload);
    if (res.ok) return 'ok';
    expect(errorCodes).toContain(res.error.code);
    expect(res.error.message).toEqual(expect.any(String));
    return res.error.code as string;
  };
  const invite = (to: string, extra: object = {}) => ({ to, media: 'audio', sdp: FAKE_SDP, ...extra });

  it('SELF_CALL, USER_OFFLINE, BUSY, TOO_MANY_CALLS', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const carol = await connect(node.url, uniqueUser('carol'));
    const dave = await connect(node.url, uniqueUser('dave'));
    expect(await code(alice, 'call_invite', invite(alice.userId))).toBe('SELF_CALL');
    expect(await code(alice, 'call_invite', invite(uniqueUser('nobody')))).toBe('USER_OFFLINE');
    const { callId } = await ringingCall(alice, [bob]);
    expect(await code(carol, 'call_invite', invite(bob.userId))).toBe('BUSY');
    expect(await code(carol, 'call_invite', invite(alice.userId))).toBe('BUSY');
    expect(await code(alice, 'call_invite', invite(carol.userId))).toBe('TOO_MANY_CALLS');
    expect(await code(bob, 'call_invite', invite(carol.userId))).toBe('TOO_MANY_CALLS');
    await settle();
    expect(carol.all('call_incoming')).toEqual([]);
    expect(bob.all('call_incoming')).toHaveLength(1);
    // Refused invites wrote nothing.
    expect((await node.store.listUserCalls(carol.userId)).length).toBe(0);
    expect((await node.store.listUserCalls(alice.userId)).map((c) => c.callId)).toEqual([callId]);
    // Once the call is over, the same invites go through.
    await alice.request('call_cancel', { callId });
    expect(await code(carol, 'call_invite', invite(bob.userId))).toBe('ok');
    expect(await code(alice, 'call_invite', invite(dave.userId))).toBe('ok');
    closeAll(alice, bob, carol, dave);
  });

  it('invite checks run in the contract order: SELF_CALL, TOO_MANY_CALLS, USER_OFFLINE, BUSY', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const carol = await connect(node.url, uniqueUser('carol'));
    const erin = await connect(node.url, uniqueUser('erin'));
    const frank = await connect(node.url, uniqueUser('frank'));
    await activeCall(alice, [bob]);
    // alice is at her limit: calling herself is still SELF_CALL; calling an offline user is TOO_MANY_CALLS.
    expect(await code(alice, 'call_invite', invite(alice.userId))).toBe('SELF_CALL');
    expect(await code(alice, 'call_invite', invite(uniqueUser('offline')))).toBe('TOO_MANY_CALLS');
    // carol in a call whose device is gone (within the grace): USER_OFFLINE before BUSY.
    await activeCall(carol, [erin]);
    erin.close();
    await erin.disconnected();
    await settle();
    expect(await code(frank, 'call_invite', invite(erin.userId))).toBe('USER_OFFLINE');
    expect(await code(frank, 'call_invite', invite(carol.userId))).toBe('BUSY');
    closeAll(alice, bob, carol, frank);
  });

  it('CALL_NOT_FOUND for a well-formed unknown callId, for every call event, whoever asks', async () => {
    const client = await connect(node.url, uniqueUser('lost'));
    const unknown = randomUUID();
    const asks: [string, object][] = [
      ['call_accept', { callId: unknown }],
      ['call_ringing', { callId: unknown }],
      ['call_reject', { callId: unknown }],
      ['call_cancel', { callId: unknown }],
      ['call_end', { callId: unknown }],
      ['sdp_offer', { callId: unknown, sdp: FAKE_SDP }],
      ['sdp_answer', { callId: unknown, sdp: FAKE_SDP }],
      ['ice_candidate', { callId: unknown, candidate: null }],
    ];
    for (const [event, payload] of asks) expect(await code(client, event, payload), event).toBe('CALL_NOT_FOUND');
    client.close();
  });

  it('NOT_PARTICIPANT for every request the device’s role never allows', async () => {
    const alice = await connect(node.url, uniqueUser('alice'), { deviceId: 'phone' });
    const aliceLaptop = await connect(node.url, alice.userId, { deviceId: 'laptop' });
    const bob = await connect(node.url, uniqueUser('bob'), { deviceId: 'phone' });
    const bobLaptop = await connect(node.url, bob.userId, { deviceId: 'laptop' });
    const carol = await connect(node.url, uniqueUser('carol'));
    const { callId } = await ringingCall(alice, [bob, bobLaptop]);
    const ringingAsks: [TestClient, string, object][] = [
      [alice, 'call_accept', { callId }],
      [alice, 'call_reject', { callId }],
      [alice, 'call_ringing', { callId }],
      [aliceLaptop, 'call_accept', { callId }],
      [aliceLaptop, 'call_cancel', { callId }],
      [aliceLaptop, 'call_end', { callId }],
      [aliceLaptop, 'ice_candidate', { callId, candidate: null }],
      [bob, 'call_cancel', { callId }],
      [bob, 'ice_candidate', { callId, candidate: goodCandidate }],
      [bob, 'sdp_answer', { callId, sdp: FAKE_SDP }],
      [carol, 'call_accept', { callId }],
      [carol, 'call_reject', { callId }],
      [carol, 'call_ringing', { callId }],
      [carol, 'call_cancel', { callId }],
      [carol, 'call_end', { callId }],
      [carol, 'sdp_offer', { callId, sdp: FAKE_SDP }],
      [carol, 'ice_candidate', { callId, candidate: null }],
    ];
    for (const [who, event, payload] of ringingAsks) {
      expect(await code(who, event, payload), `${who.userId}/${who.deviceId} ${event}`).toBe('NOT_PARTICIPANT');
    }
    await bob.request('call_accept', { callId });
    // Once active, the callee devices that did not accept are out of the call.
    for (const [event, payload] of [
      ['call_end', { callId }],
      ['sdp_offer', { callId, sdp: FAKE_SDP }],
      ['ice_candidate', { callId, candidate: null }],
    ] as const) {
      expect(await code(bobLaptop, event, payload), `bobLaptop ${event}`).toBe('NOT_PARTICIPANT');
    }
    expect(await code(alice, 'call_accept', { callId })).toBe('NOT_PARTICIPANT');
    await settle();
    expect(alice.all('ice_candidate')).toEqual([]);
    expect(bob.all('ice_candidate')).toEqual([]);
    expect(carol.received.filter((r) => r.event !== 'session')).toEqual([]);
    // Roles come before state: after the end, the caller's accept is still NOT_PARTICIPANT.
    await alice.request('call_end', { callId });
    expect(await code(alice, 'call_accept', { callId })).toBe('NOT_PARTICIPANT');
    expect(await code(carol, 'call_end', { callId })).toBe('NOT_PARTICIPANT');
    expect(await code(bob, 'call_accept', { callId })).toBe('INVALID_STATE');
    closeAll(alice, aliceLaptop, bob, bobLaptop, carol);
  });

  it('INVALID_STATE for a request the role allows but the state does not', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    for (const [who, event] of [
      [alice, 'call_cancel'],
      [bob, 'call_accept'],
      [bob, 'call_reject'],
      [bob, 'call_ringing'],
    ] as const) {
      expect(await code(who, event, { callId }), event).toBe('INVALID_STATE');
    }
    await alice.request('call_end', { callId });
    closeAll(alice, bob);
  });

  it('request_error for an ack-less request that fails, nothing for one that succeeds', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const unknown = randomUUID();
    const emit = (event: string, payload: unknown) =>
      (alice.socket as unknown as { emit: (e: string, p: unknown) => void }).emit(event, payload);
    emit('call_accept', { callId: unknown });
    expect(await alice.next('request_error', (p) => p.event === 'call_accept')).toEqual({
      event: 'call_accept',
      code: 'CALL_NOT_FOUND',
      message: expect.any(String),
    });
    emit('call_invite', { to: alice.userId, media: 'audio', sdp: FAKE_SDP });
    expect(await alice.next('request_error', (p) => p.event === 'call_invite')).toEqual({
      event: 'call_invite',
      code: 'SELF_CALL',
      message: expect.any(String),
    });
    emit('ice_candidate', { callId: 'bad' });
    expect(await alice.next('request_error', (p) => p.event === 'ice_candidate')).toMatchObject({
      code: 'INVALID_PAYLOAD',
    });
    emit('heartbeat', {});
    emit('presence_query', { userIds: ['x'] });
    await settle();
    expect(alice.all('request_error')).toHaveLength(3);
    alice.close();
  });
});
