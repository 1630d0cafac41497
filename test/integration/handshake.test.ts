import { createHmac } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { closeAll, connect, connectError, settle, uniqueUser } from '../support/test-client.js';
import { TEST_SECRET, tokenFor } from '../support/tokens.js';

const nowS = () => Math.floor(Date.now() / 1000);

/** Signs exactly the given claims (no defaults), so tests control `sub`, `exp`, `nbf`, `iss`, `aud`. */
function sign(claims: JWTPayload, secret = TEST_SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('handshake and session', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({
      NODE_ID: 'node-hs',
      STUN_URLS: 'stun:stun1.example.org:3478, stun:stun2.example.org',
      TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
      TURN_SECRET: 'turn-shared-secret',
      TURN_TTL_S: '600',
      HEARTBEAT_INTERVAL_MS: '7000',
      RING_TIMEOUT_MS: '20000',
      MAX_CONCURRENT_CALLS: '2',
    });
  });
  afterAll(() => node.close());

  it('sends session with the configured values, once, to the connecting device only', async () => {
    const user = uniqueUser('alice');
    const other = await connect(node.url, user, { deviceId: 'laptop' });
    const before = nowS();
    const client = await connect(node.url, user, { deviceId: 'phone' });
    const after = nowS();
    const [session] = client.all('session');
    const turn = session.iceServers[1];
    expect(session).toEqual({
      userId: user,
      deviceId: 'phone',
      nodeId: 'node-hs',
      iceServers: [
        { urls: ['stun:stun1.example.org:3478', 'stun:stun2.example.org'] },
        {
          urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
          username: expect.any(String),
          credential: expect.any(String),
        },
      ],
      heartbeatIntervalMs: 7000,
      ringTimeoutMs: 20000,
      maxConcurrentCalls: 2,
    });
    // TURN REST API scheme: `<expiry epoch seconds>:<userId>`, HMAC-SHA1 of it, base64.
    const [expiry, name] = turn.username.split(/:(.*)/s);
    expect(name).toBe(user);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(after + 600);
    expect(turn.credential).toBe(createHmac('sha1', 'turn-shared-secret').update(turn.username).digest('base64'));
    await settle();
    expect(client.all('session')).toHaveLength(1);
    expect(other.all('session')).toHaveLength(1);
    closeAll(client, other);
  });

  it('assigns a device id when none (or null) is given', async () => {
    const user = uniqueUser('anon');
    const a = await connect(node.url, user);
    const b = await connect(node.url, user, { token: await tokenFor(user) });
    expect(a.deviceId).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    expect(b.deviceId).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    expect(a.deviceId).not.toBe(b.deviceId);
    // Both are live devices of the user: neither replaced the other.
    expect(a.socket.connected && b.socket.connected).toBe(true);
    closeAll(a, b);
  });

  it('accepts the widest valid user id and device id', async () => {
    const sub = `a.b_c:d@e-F9${'x'.repeat(116)}`;
    expect(sub).toHaveLength(128);
    const deviceId = `A.b_c:d-9${'y'.repeat(55)}`;
    expect(deviceId).toHaveLength(64);
    const client = await connect(node.url, sub, { deviceId });
    expect(client.all('session')[0]).toMatchObject({ userId: sub, deviceId });
    client.close();
  });

  describe('refuses with connect_error UNAUTHENTICATED', () => {
    const cases: [string, () => Promise<unknown>][] = [
      ['no auth at all', async () => undefined],
      ['no token', async () => ({ deviceId: 'phone' })],
      ['an empty token', async () => ({ token: '' })],
      ['a token that is not a string', async () => ({ token: 12345 })],
      ['a token that is not a JWT', async () => ({ token: 'not-a-jwt' })],
      ['a token signed with another secret', async () => ({ token: await tokenFor('eve', { secret: 'wrong' }) })],
      ['an expired token (past the 30 s skew)', async () => ({ token: await sign({ sub: 'eve', exp: nowS() - 90 }) })],
      [
        'a token not yet valid (nbf past the skew)',
        async () => ({ token: await sign({ sub: 'eve', exp: nowS() + 3600, nbf: nowS() + 120 }) }),
      ],
      ['a token with no sub', async () => ({ token: await tokenFor('') })],
      ['a sub that is not a valid user id (space)', async () => ({ token: await tokenFor('eve smith') })],
      ['a sub that is not a valid user id (129 chars)', async () => ({ token: await tokenFor('e'.repeat(129)) })],
      [
        'a sub that is not a string',
        async () => ({ token: await sign({ sub: 42 as unknown as string, exp: nowS() + 60 }) }),
      ],
      [
        'an unsigned token (alg none)',
        async () => ({ token: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'eve', exp: nowS() + 60 })}.` }),
      ],
      ['a device id that is empty', async () => ({ token: await tokenFor('eve'), deviceId: '' })],
      ['a device id of 65 chars', async () => ({ token: await tokenFor('eve'), deviceId: 'd'.repeat(65) })],
      ['a device id with a slash', async () => ({ token: await tokenFor('eve'), deviceId: 'phone/1' })],
      ['a device id with an @', async () => ({ token: await tokenFor('eve'), deviceId: 'me@phone' })],
      ['a device id that is not a string', async () => ({ token: await tokenFor('eve'), deviceId: 7 })],
    ];
    it.each(cases)('%s', async (_name, auth) => {
      const err = await connectError(node.url, await auth());
      expect(err.message).toBe('UNAUTHENTICATED');
    });
  });

  it('allows 30 s of clock skew on exp and nbf', async () => {
    const user = uniqueUser('skewed');
    const expired = await connect(node.url, user, {
      deviceId: 'a',
      token: await sign({ sub: user, exp: nowS() - 10 }),
    });
    const early = await connect(node.url, user, {
      deviceId: 'b',
      token: await sign({ sub: user, exp: nowS() + 3600, nbf: nowS() + 10 }),
    });
    expect(expired.all('session')[0]).toMatchObject({ userId: user, deviceId: 'a' });
    expect(early.all('session')[0]).toMatchObject({ userId: user, deviceId: 'b' });
    closeAll(expired, early);
  });

  it('replaces the previous connection of the same user and device without a presence change', async () => {
    const user = uniqueUser('replaced');
    const watcher = await connect(node.url, uniqueUser('watcher'));
    const first = await connect(node.url, user, { deviceId: 'phone' });
    await watcher.request('presence_subscribe', { userIds: [user] });
    const second = await connect(node.url, user, { deviceId: 'phone' });
    expect(await first.disconnected()).toBe('io server disconnect');
    expect(second.socket.connected).toBe(true);
    await settle();
    expect(watcher.all('presence')).toEqual([]);
    // The replaced socket's late disconnect did not take the device (or the user) offline.
    const { presence } = await watcher.request('presence_query', { userIds: [user] });
    expect(presence).toEqual([{ userId: user, status: 'online', inCall: false }]);
    expect((await node.store.listDevices(user)).map((d) => d.deviceId)).toEqual(['phone']);
    closeAll(watcher, second);
  });

  it('works over WebSocket alone and over long-polling', async () => {
    const ws = await connect(node.url, uniqueUser('ws'), { transports: ['websocket'] });
    const polling = await connect(node.url, uniqueUser('poll'), { transports: ['polling'] });
    expect((await ws.request('heartbeat', {})).ok).toBe(true);
    expect((await polling.request('heartbeat', {})).ok).toBe(true);
    closeAll(ws, polling);
  });
});

describe('handshake with JWT_ISSUER and JWT_AUDIENCE', () => {
  let node: InProcessNode;
  const ISS = 'https://idp.example.org';
  const AUD = 'switchboard';
  beforeAll(async () => {
    node = await startNode({ JWT_ISSUER: ISS, JWT_AUDIENCE: AUD });
  });
  afterAll(() => node.close());

  it('accepts a token with the right iss and aud', async () => {
    const user = uniqueUser('iss');
    const client = await connect(node.url, user, {
      token: await sign({ sub: user, iss: ISS, aud: AUD, exp: nowS() + 60 }),
    });
    expect(client.all('session')[0].userId).toBe(user);
    client.close();
  });

  it.each([
    ['a wrong iss', { iss: 'https://evil.example.org', aud: AUD }],
    ['no iss', { aud: AUD }],
    ['a wrong aud', { iss: ISS, aud: 'other-service' }],
    ['no aud', { iss: ISS }],
  ])('refuses %s with UNAUTHENTICATED', async (_name, claims) => {
    const err = await connectError(node.url, { token: await sign({ sub: 'eve', exp: nowS() + 60, ...claims }) });
    expect(err.message).toBe('UNAUTHENTICATED');
  });
});

describe('server_draining', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.close());

  it('tells every device of a draining node, then closes transports so that clients reconnect', async () => {
    const a = await connect(node.url, uniqueUser('a'));
    const b1 = await connect(node.url, uniqueUser('b'), { deviceId: 'one' });
    const b2 = await connect(node.url, b1.userId, { deviceId: 'two' });
    const reasons = Promise.all([a, b1, b2].map((c) => c.disconnected()));
    await node.node.drain();
    for (const c of [a, b1, b2]) expect(c.all('server_draining')).toEqual([{}]);
    // Not 'io server disconnect', after which Socket.IO clients would not reconnect by themselves.
    expect(await reasons).toEqual(['transport close', 'transport close', 'transport close']);
  });
});
