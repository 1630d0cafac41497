import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, SwitchboardError } from '@switchboard/client';
import { Server, type Socket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { OFFER, rejection } from './helpers.js';

/**
 * A stand-in server that speaks just enough of the contract (a `session`)
 * and then misbehaves, to see how the SDK's requests fail.
 */
async function fakeServer(
  onInvite: (ack: (answer: unknown) => void, close: () => void, socket: Socket, payload: { callId: string }) => void,
) {
  const http: HttpServer = createServer();
  const io = new Server(http);
  io.on('connection', (socket) => {
    socket.emit('session', {
      userId: 'alice',
      deviceId: 'd1',
      nodeId: 'fake',
      iceServers: [],
      heartbeatIntervalMs: 60_000,
      ringTimeoutMs: 30_000,
      maxConcurrentCalls: 1,
    });
    socket.on('call_invite', (payload, ack) => onInvite(ack, () => socket.conn.close(), socket, payload));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => io.close(() => r())) };
}

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('SDK requests that get no answer', () => {
  it('time out with TIMEOUT', async () => {
    const server = await fakeServer(() => {});
    cleanup.push(server.close);
    const client = await connect({ url: server.url, token: 't', requestTimeoutMs: 300 });
    cleanup.push(() => client.close());
    const started = Date.now();
    const err = await rejection(client.call('bob', { media: 'audio', sdp: OFFER }));
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/call_invite: no answer within 300 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(client.calls.size).toBe(0);
  });

  it('fail with DISCONNECTED when the connection drops before the answer', async () => {
    const server = await fakeServer((_ack, close) => close());
    cleanup.push(server.close);
    const client = await connect({ url: server.url, token: 't', requestTimeoutMs: 5000 });
    cleanup.push(() => client.close());
    const err = await rejection(client.call('bob', { media: 'audio', sdp: OFFER }));
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(err.code).toBe('DISCONNECTED');
  });

  it('a server that never sends `session` fails the connect with TIMEOUT', async () => {
    const http = createServer();
    const io = new Server(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => io.close(() => r())));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const err = await rejection(connect({ url, token: 't', connectTimeoutMs: 300 }));
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(err.code).toBe('TIMEOUT');
  });
});

describe('SDK events that overtake the invite answer', () => {
  it('reach listeners the caller adds once `call` resolved, in order', async () => {
    const callee = { userId: 'bob', deviceId: 'b1' };
    // The callee's ringing and answer are relayed by another node and can
    // be written to the caller's socket before the invite's answer.
    const server = await fakeServer((ack, _close, socket, { callId }) => {
      socket.emit('call_ringing', { callId, by: callee });
      socket.emit('call_accepted', { callId, by: callee, sdp: 'answer-sdp' });
      ack({ ok: true, callId, expiresAt: Date.now() + 30_000 });
    });
    cleanup.push(server.close);
    const client = await connect({ url: server.url, token: 't' });
    cleanup.push(() => client.close());

    const call = await client.call('bob', { media: 'audio', sdp: OFFER });
    const seen: unknown[] = [];
    call.on('ringing', (by) => seen.push(['ringing', by]));
    call.on('accepted', (info) => seen.push(['accepted', info]));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([
      ['ringing', callee],
      ['accepted', { by: callee, sdp: 'answer-sdp' }],
    ]);
    expect(call.state).toBe('active');
  });
});
