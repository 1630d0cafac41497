import type { Socket as ServerSocket } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writesDirectly } from '../../packages/server/src/transport/packet-writer.js';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { activeCall, closeAll, connect, ref, type TestClient, uniqueUser } from '../support/test-client.js';
import { tokenFor } from '../support/tokens.js';

// The lane reads SDPs and candidates ahead of Socket.IO's client and the
// notifier writes relays as packets encoded once (transport/signaling-lane.ts,
// transport/packet-writer.ts). What a client sees must not change; these
// check that the lane is really taken, and that what it cannot read still
// gets Socket.IO's and the router's answers.

/** The client's Engine.IO socket: writes Socket.IO packets as given, and hears every packet that comes. */
interface RawEngine {
  write(packet: string): void;
  on(event: 'message', listener: (packet: string) => void): void;
}
const rawOf = (c: TestClient) => c.socket.io.engine as unknown as RawEngine;

/** Every Socket.IO packet `c` receives from now on, as written on the wire. */
function recordPackets(c: TestClient): string[] {
  const packets: string[] = [];
  rawOf(c).on('message', (p) => packets.push(p));
  return packets;
}

function serverSocketOf(node: InProcessNode, c: TestClient): ServerSocket {
  const socket = [...node.node.io.of('/').sockets.values()].find((s) => s.data.device?.deviceId === c.deviceId);
  if (!socket) throw new Error(`${c.userId} is not connected`);
  return socket;
}

/** Counts the packets Socket.IO's own parser reads for this socket. */
function countDecoded(socket: ServerSocket): () => number {
  let n = 0;
  const { decoder } = socket.client as unknown as { decoder: { on(e: 'decoded', l: () => void): void } };
  decoder.on('decoded', () => n++);
  return () => n;
}

describe('the signaling lane', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node?.close());

  it.each(['websocket', 'polling'])(
    'over %s, reads SDPs and candidates ahead of Socket.IO, and writes the relay as Socket.IO would',
    async (transport) => {
      const alice = await connect(node.url, uniqueUser('alice'), { transports: [transport] });
      const bob = await connect(node.url, uniqueUser('bob'), { transports: [transport] });
      const callId = await activeCall(alice, [bob]);
      const aliceOnServer = serverSocketOf(node, alice);
      const decoded = countDecoded(aliceOnServer);
      const bobPackets = recordPackets(bob);

      const candidate = { candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
      expect(await alice.request('ice_candidate', { callId, candidate })).toEqual({ ok: true });
      expect(await alice.request('sdp_offer', { callId, sdp: 'offer-2' })).toEqual({ ok: true });
      expect(await alice.request('ice_candidate', { callId, candidate: null })).toEqual({ ok: true });
      expect(decoded()).toBe(0);
      await bob.next('ice_candidate', (p) => p.candidate === null);
      const from = ref(alice);
      expect(bobPackets).toEqual([
        `2${JSON.stringify(['ice_candidate', { callId, candidate, from }])}`,
        `2${JSON.stringify(['sdp_offer', { callId, sdp: 'offer-2', from }])}`,
        `2${JSON.stringify(['ice_candidate', { callId, candidate: null, from }])}`,
      ]);

      // Anything else is Socket.IO's to read.
      expect(await alice.request('call_end', { callId })).toEqual({ ok: true });
      expect(decoded()).toBe(1);
      await bob.next('call_ended', (p) => p.callId === callId);

      // A WebSocket is written to directly, past Engine.IO's buffer; long polling is Engine.IO's.
      expect(writesDirectly(serverSocketOf(node, bob))).toBe(transport === 'websocket');
      closeAll(alice, bob);
    },
  );

  it('answers with the ack id the request carried, and leaves what it cannot read to Socket.IO and the router', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    const decoded = countDecoded(serverSocketOf(node, alice));
    const packets = recordPackets(alice);
    const raw = rawOf(alice);
    const candidate = { candidate: 'candidate:2 1 udp 1 10.0.0.2 5000 typ host' };

    raw.write(`2123${JSON.stringify(['ice_candidate', { callId, candidate }])}`);
    raw.write(`2124${JSON.stringify(['ice_candidate', { callId: 'not-a-call-id', candidate }])}`);
    // Three arguments: read by Socket.IO; the router takes the first as the payload.
    raw.write(`2125${JSON.stringify(['ice_candidate', { callId, candidate }, 'extra'])}`);
    // No payload, and no ack: the router says so with request_error.
    raw.write('2["sdp_answer"]');
    await expect.poll(() => packets.length).toBe(4);
    expect(packets[0]).toBe('3123[{"ok":true}]');
    expect(JSON.parse(packets[1]!.slice(4))).toMatchObject([{ ok: false, error: { code: 'INVALID_PAYLOAD' } }]);
    expect(packets[1]!.slice(0, 4)).toBe('3124');
    expect(packets[2]).toBe('3125[{"ok":true}]');
    expect(JSON.parse(packets[3]!.slice(1))).toMatchObject([
      'request_error',
      { event: 'sdp_answer', code: 'INVALID_PAYLOAD' },
    ]);
    expect(decoded()).toBe(2);
    await bob.next('ice_candidate', () => bob.all('ice_candidate').length === 2);

    // Requests are handled in the order they came, whichever reads them:
    // here Socket.IO reads the first and the lane the second.
    packets.length = 0;
    raw.write('2["no_such_event",{}]');
    raw.write('2["ice_candidate",{}]');
    await expect.poll(() => packets.length).toBe(2);
    expect(packets.map((p) => JSON.parse(p.slice(1))[1].event)).toEqual(['no_such_event', 'ice_candidate']);

    // What Socket.IO's parser cannot read closes the connection, as before.
    raw.write('2["ice_candidate",{"callId":');
    expect(await alice.disconnected()).toBe('transport close');
    closeAll(alice, bob);
  });

  it('reads for the socket that joins again on the same connection, and leaves to Socket.IO what comes after leaving', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const packets = recordPackets(alice);
    const raw = rawOf(alice);
    const first = serverSocketOf(node, alice);
    const request = `2777${JSON.stringify(['ice_candidate', { callId: '6f1c2b1e-8a4d-4c1e-9f00-0123456789ab', candidate: null }])}`;

    // Leave the namespace and join it again, on one Engine.IO connection.
    raw.write('1');
    await expect.poll(() => first.connected).toBe(false);
    raw.write(`0${JSON.stringify({ token: await tokenFor(alice.userId), deviceId: alice.deviceId })}`);
    await expect.poll(() => node.node.io.of('/').sockets.size > 0 && serverSocketOf(node, alice) !== first).toBe(true);
    const second = serverSocketOf(node, alice);
    const decoded = countDecoded(second);
    packets.length = 0;
    raw.write(request);
    await expect.poll(() => packets.find((p) => p.startsWith('3777'))).toBeDefined();
    expect(JSON.parse(packets.find((p) => p.startsWith('3777'))!.slice(4))).toMatchObject([
      { ok: false, error: { code: 'CALL_NOT_FOUND' } },
    ]);
    expect(decoded()).toBe(0);

    // A request for a socket that left: Socket.IO closes the connection, as it did without the lane.
    raw.write('1');
    await expect.poll(() => second.connected).toBe(false);
    const closed = new Promise((resolve) => alice.socket.io.engine.once('close', resolve));
    raw.write(request);
    await closed;
    closeAll(alice);
  });
});
