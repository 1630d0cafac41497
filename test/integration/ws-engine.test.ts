import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../packages/server/src/config/config.js';
import { SLOW_READER_CHECK_MS } from '../../packages/server/src/http/slow-reader-guard.js';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { activeCall, closeAll, connect, type TestClient, uniqueUser } from '../support/test-client.js';

/** The server side of the node's one connected socket: which WebSocket implementation carries it. */
function engineOf(node: InProcessNode): string {
  const [socket] = node.node.io.of('/').sockets.values();
  const ws = (socket?.conn as unknown as { transport: { socket: object } } | undefined)?.transport.socket;
  if (!ws) throw new Error('no connected socket');
  // uWebSockets.js' sockets are native objects with methods; `ws`'s keep the TCP socket.
  return typeof (ws as { getBufferedAmount?: unknown }).getBufferedAmount === 'function' ? 'uws' : 'ws';
}

it('WS_ENGINE is ws unless set to uws; anything else stops the node', () => {
  const env = { JWT_SECRET: 'x'.repeat(32) };
  expect(loadConfig(env, []).WS_ENGINE).toBe('ws');
  expect(loadConfig({ ...env, WS_ENGINE: 'uws' }, []).WS_ENGINE).toBe('uws');
  expect(() => loadConfig({ ...env, WS_ENGINE: 'uWS' }, [])).toThrow(ConfigError);
});

const candidate = { candidate: 'candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };

describe.each(['ws', 'uws'])('WS_ENGINE=%s', (engine) => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ WS_ENGINE: engine, DEV: '1' });
  });
  afterAll(() => node?.close());

  it('carries the connections on that engine, and a call with its signaling', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    expect(engineOf(node)).toBe(engine);
    const bob = await connect(node.url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    expect(await alice.request('ice_candidate', { callId, candidate })).toEqual({ ok: true });
    expect(await bob.next('ice_candidate')).toEqual({
      callId,
      candidate,
      from: { userId: alice.userId, deviceId: alice.deviceId },
    });
    expect(await bob.request('call_end', { callId })).toEqual({ ok: true });
    expect(await alice.next('call_ended')).toMatchObject({ callId, reason: 'hangup' });
    closeAll(alice, bob);
  });

  it('answers the plain HTTP routes, bodies included', async () => {
    const health = await fetch(`${node.url}/healthz`);
    expect([health.status, health.headers.get('content-type'), await health.json()]).toEqual([
      200,
      'application/json',
      { status: 'ok' },
    ]);
    const token = await fetch(`${node.url}/dev/token`, { method: 'POST', body: JSON.stringify({ userId: 'carol' }) });
    expect(token.status).toBe(200);
    expect(typeof ((await token.json()) as { token: unknown }).token).toBe('string');
    const tooBig = await fetch(`${node.url}/dev/token`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(tooBig.status).toBe(400);
    expect((await fetch(`${node.url}/dev/token`)).status).toBe(405);
    expect((await fetch(`${node.url}/nowhere?x=1`)).status).toBe(404);
    const page = await fetch(`${node.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });
});

/** Bob's client stops reading: its WebSocket's TCP connection is paused, or it polls no more. */
const stopReading = {
  websocket: (bob: TestClient) =>
    (bob.socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws._socket.pause(),
  // The poll under way is answered; Engine.IO keeps the rest for a poll that never comes.
  polling: (bob: TestClient) =>
    (bob.socket.io.engine.transport as unknown as { pause(done: () => void): void }).pause(() => {}),
};

describe.each(['ws', 'uws'])('WS_ENGINE=%s, a receiver that stops reading', (engine) => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ WS_ENGINE: engine });
  });
  afterAll(() => node?.close());

  it.each(['websocket', 'polling'] as const)(
    'over %s, is disconnected once 16 MiB wait for it, rather than sent less than it was told',
    async (transport) => {
      const alice = await connect(node.url, uniqueUser('alice'));
      const bob = await connect(node.url, uniqueUser('bob'), { reconnection: false, transports: [transport] });
      const callId = await activeCall(alice, [bob]);
      const bobOnServer = [...node.node.io.of('/').sockets.values()].find((s) => s.data.device?.userId === bob.userId);
      if (!bobOnServer) throw new Error('bob is not connected');
      const gone = new Promise<string>((resolve) => bobOnServer.once('disconnect', resolve));
      stopReading[transport](bob);
      const sdp = `v=0\r\n${'a=x\r\n'.repeat(10_000)}`;
      let sent = 0;
      let reason: string | undefined;
      void gone.then((r) => {
        reason = r;
      });
      // 64 KiB offers until the node gives up on bob, or well past the limit
      // (the kernel's buffers take a few MiB first). uWebSockets.js closes a
      // WebSocket as the limit is crossed; the node checks every second.
      while (reason === undefined && sent < 600) {
        await Promise.all(Array.from({ length: 20 }, () => alice.request('sdp_offer', { callId, sdp })));
        sent += 20;
      }
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 2 * SLOW_READER_CHECK_MS))]);
      // uWebSockets.js drops a WebSocket itself; otherwise the node closes it.
      expect(reason).toBe(engine === 'uws' && transport === 'websocket' ? 'transport close' : 'forced close');
      expect(sent).toBeGreaterThan((16 * 1024) / 64);
      closeAll(alice, bob);
    },
  );
});
