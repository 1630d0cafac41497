import { Limits } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../packages/server/src/config/config.js';
import { MAX_HTTP_BUFFER } from '../../packages/server/src/transport/admission.js';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { closeAll, connect, connectError, settle, uniqueUser } from '../support/test-client.js';
import { TEST_SECRET, tokenFor } from '../support/tokens.js';
import { metricValue, scrape } from './helpers.js';

const emitRaw = (c: { socket: unknown }, event: string, ...args: unknown[]) =>
  (c.socket as { emit: (e: string, ...a: unknown[]) => void }).emit(event, ...args);

describe('a socket that keeps sending invalid or rate-limited requests is disconnected', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ ABUSE_MAX_STRIKES: '5', ABUSE_WINDOW_MS: '1000', RATE_LIMIT_REQUESTS_PER_10S: '2' });
  });
  afterAll(() => node.close());

  it('answers every invalid request, and disconnects (for good) on the strike past the limit', async () => {
    const mallory = await connect(node.url, uniqueUser('mallory'), { deviceId: 'm1' });
    const sameUser = await connect(node.url, mallory.userId, { deviceId: 'm2' });
    for (let i = 0; i < 5; i++) {
      expect((await mallory.request('call_invite', { to: 42 })).error.code).toBe('INVALID_PAYLOAD');
    }
    expect(mallory.socket.connected).toBe(true);
    const reason = mallory.disconnected();
    // The sixth strike is still answered, then the server disconnects the socket.
    expect((await mallory.request('no_such_event', {})).error.code).toBe('INVALID_PAYLOAD');
    expect(await reason).toBe('io server disconnect');
    await settle();
    expect(sameUser.socket.connected).toBe(true);
    expect((await sameUser.request('presence_query', { userIds: [mallory.userId] })).ok).toBe(true);
    expect(metricValue(await scrape(node.url), 'switchboard_abuse_disconnects_total')).toBe(1);
    closeAll(mallory, sameUser);
  });

  it('rate-limited answers count as strikes too', async () => {
    const greedy = await connect(node.url, uniqueUser('greedy'));
    const reason = greedy.disconnected();
    const answers: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await greedy.request('heartbeat', {}, 2000).catch(() => ({ error: { code: 'no answer' } }));
      answers.push(res.ok ? 'ok' : res.error.code);
      if (!greedy.socket.connected) break;
    }
    // Two allowed, five refused (strikes 1-5), the sixth refusal is the strike past the limit.
    expect(answers).toEqual(['ok', 'ok', ...Array(6).fill('RATE_LIMITED')]);
    expect(await reason).toBe('io server disconnect');
  });

  it('strikes spread out wider than the window do not disconnect', async () => {
    const sloppy = await connect(node.url, uniqueUser('sloppy'));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) emitRaw(sloppy, 'call_end', { callId: 'nope' });
      await sloppy.next('request_error', () => sloppy.all('request_error').length === (round + 1) * 4);
      await new Promise((r) => setTimeout(r, 1100));
    }
    expect(sloppy.socket.connected).toBe(true);
    sloppy.close();
  });

  it('ABUSE_MAX_STRIKES and ABUSE_WINDOW_MS are validated, and 0 turns the guard off', () => {
    const env = { JWT_SECRET: TEST_SECRET };
    expect(loadConfig(env, [])).toMatchObject({ ABUSE_MAX_STRIKES: 300, ABUSE_WINDOW_MS: 10_000 });
    expect(loadConfig({ ...env, ABUSE_MAX_STRIKES: '0' }, []).ABUSE_MAX_STRIKES).toBe(0);
    expect(() => loadConfig({ ...env, ABUSE_MAX_STRIKES: '-1' }, [])).toThrow(/ABUSE_MAX_STRIKES/);
    expect(() => loadConfig({ ...env, ABUSE_WINDOW_MS: 'soon' }, [])).toThrow(ConfigError);
  });
});

describe('message size limit', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.close());

  it('fits the largest valid request: a 64 KiB SDP that JSON escapes sixfold, plus 2 KiB of metadata', async () => {
    // Every byte a control character: JSON writes each as \u00XX.
    const sdp = '\u0001'.repeat(Limits.sdpBytes);
    const metadata = { note: '\u0002'.repeat(Math.floor((Limits.metadataBytes - 20) / 6)) };
    expect(Buffer.byteLength(JSON.stringify({ sdp, metadata }))).toBeLessThan(MAX_HTTP_BUFFER);
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const res = await alice.request('call_invite', { to: bob.userId, media: 'video', sdp, metadata });
    expect(res.ok).toBe(true);
    const incoming = await bob.next('call_incoming');
    expect(incoming.sdp).toBe(sdp);
    expect(incoming.metadata).toEqual(metadata);
    expect(alice.socket.connected).toBe(true);
    // One byte of SDP more is refused by the contract, not cut off by the transport.
    expect((await alice.request('sdp_offer', { callId: res.callId, sdp: `${sdp}x` })).error.code).toBe(
      'INVALID_PAYLOAD',
    );
    closeAll(alice, bob);
  });

  it('a frame over the limit closes that connection alone; the node goes on serving', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const gone = alice.disconnected();
    const raw = alice.socket as unknown as { emit(event: string, ...args: unknown[]): void };
    raw.emit('heartbeat', { pad: 'x'.repeat(MAX_HTTP_BUFFER) });
    expect(await gone).toBe('transport close');
    expect(bob.socket.connected).toBe(true);
    expect(await bob.request('heartbeat', {})).toMatchObject({ ok: true });
    const again = await connect(node.url, alice.userId);
    expect(await again.request('heartbeat', {})).toMatchObject({ ok: true });
    closeAll(alice, bob, again);
  });

  it('is well under a megabyte', () => {
    expect(MAX_HTTP_BUFFER).toBeGreaterThan(6 * Limits.sdpBytes + Limits.metadataBytes);
    expect(MAX_HTTP_BUFFER).toBeLessThan(512 * 1024);
  });
});

describe('CORS_ORIGINS', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ CORS_ORIGINS: 'https://app.example, https://other.example' });
  });
  afterAll(() => node.close());

  const handshake = (origin?: string, method = 'GET') =>
    fetch(`${node.url}/socket.io/?EIO=4&transport=polling`, {
      method,
      headers: {
        ...(origin !== undefined && { origin }),
        ...(method === 'OPTIONS' && { 'access-control-request-method': 'GET' }),
      },
    });

  it('answers a long-polling handshake from an allowed origin, with the CORS headers', async () => {
    const res = await handshake('https://app.example');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(await res.text()).toContain('"sid"');
    const preflight = await handshake('https://other.example', 'OPTIONS');
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://other.example');
  });

  it('refuses one from any other origin (403, no CORS headers), for polling and WebSocket alike', async () => {
    const res = await handshake('https://evil.example');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await handshake('https://evil.example', 'OPTIONS');
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const token = await tokenFor(uniqueUser('eve'));
    const err = await connectError(node.url, { token }, { extraHeaders: { origin: 'https://evil.example' } });
    expect(err.message).toMatch(/websocket error|xhr poll error/);
    const ok = await connect(node.url, uniqueUser('fine'));
    ok.close();
  });

  it('takes clients that send no Origin (not browsers) and pages of the node itself', async () => {
    expect((await handshake()).status).toBe(200);
    expect((await handshake(node.url)).status).toBe(200);
  });
});

describe('SIGTERM drain, in process', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.close());

  it('turns /readyz 503 at once, refuses new connections, tells and releases every client', async () => {
    const a = await connect(node.url, uniqueUser('a'));
    const b = await connect(node.url, uniqueUser('b'));
    const reasons = Promise.all([a, b].map((c) => c.disconnected()));
    expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    const draining = node.node.drain();
    const ready = await fetch(`${node.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    await draining;
    expect(await reasons).toEqual(['transport close', 'transport close']);
    for (const c of [a, b]) expect(c.all('server_draining')).toEqual([{}]);
    const refused = await connectError(node.url, { token: await tokenFor(uniqueUser('late')) });
    expect(refused.message).toBe('websocket error');
    const polling = await fetch(`${node.url}/socket.io/?EIO=4&transport=polling`);
    expect(polling.status).toBe(403);
    // Drained devices stay registered: their calls continue when they reconnect elsewhere.
    expect((await node.store.listDevices(a.userId)).map((d) => d.deviceId)).toEqual([a.deviceId]);
  });
});
