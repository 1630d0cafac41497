import type { Call, Presence } from '@switchboard/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { ANSWER, closeAll, next, OFFER, sdk, sleep, until } from './helpers.js';

let node: InProcessNode;
beforeAll(async () => {
  node = await startNode();
});
afterEach(() => closeAll());
afterAll(() => node.close());

function recorder(client: { on(event: 'presence', l: (p: Presence) => void): unknown }) {
  const seen: Presence[] = [];
  client.on('presence', (p) => seen.push(p));
  return seen;
}

describe('SDK presence', () => {
  it('subscribe answers the state now and then every change (online, in a call, offline); unsubscribe stops it', async () => {
    const watcher = await sdk(node.url, 'watcher');
    const seen = recorder(watcher);
    expect(await watcher.subscribe(['pbob'])).toEqual([
      expect.objectContaining({ userId: 'pbob', status: 'offline', inCall: false }),
    ]);

    const bob = await sdk(node.url, 'pbob');
    await until(() => seen.some((p) => p.status === 'online'), 3000, 'online');
    expect((await watcher.query(['pbob']))[0]).toMatchObject({ status: 'online', inCall: false });

    const carol = await sdk(node.url, 'pcarol');
    const incoming = new Promise<Call>((r) => bob.once('incoming', r));
    const call = await carol.call('pbob', { media: 'audio', sdp: OFFER });
    await (await incoming).accept({ sdp: ANSWER });
    await until(() => seen.some((p) => p.inCall), 3000, 'inCall');
    await call.hangup();
    await until(() => seen.at(-1)?.inCall === false, 3000, 'out of call');

    bob.close();
    await until(() => seen.at(-1)?.status === 'offline', 3000, 'offline');
    expect(seen.at(-1)?.lastSeen).toBeGreaterThan(0);

    await watcher.unsubscribe(['pbob']);
    const count = seen.length;
    await sdk(node.url, 'pbob', 'again');
    await sleep(300);
    expect(seen).toHaveLength(count);
  });

  it('subscriptions are made again after a reconnect', async () => {
    const watcher = await sdk(node.url, 'watcher2');
    const seen = recorder(watcher);
    await watcher.subscribe(['pdave']);
    const back = next(watcher, 'session');
    for (const socket of node.node.io.of('/').sockets.values()) {
      if (socket.data.device.userId === 'watcher2') socket.conn.close();
    }
    await back;
    await sleep(100); // the subscription is made again right after `session`
    await sdk(node.url, 'pdave');
    await until(() => seen.some((p) => p.userId === 'pdave' && p.status === 'online'), 3000, 'online after reconnect');
  });
});
