import type { Call, Presence } from '@switchboard/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../support/cluster.js';
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from '../support/redis-server.js';
import { ANSWER, closeAll, next, OFFER, rejection, sdk, until } from './helpers.js';

/** The SDK against real node processes sharing one Redis: everything crosses nodes. */
describe.skipIf(!redisServerAvailable)('SDK on a two-node cluster', () => {
  let redis: RedisServerHandle;
  let cluster: Cluster;
  const url = (i: number) => cluster.nodes[i]!.url;

  beforeAll(async () => {
    redis = await startRedisServer();
    cluster = await startCluster(2, { REDIS_URL: redis.url });
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
  });

  it('presence and a full call path cross nodes; the other callee device stops ringing', async () => {
    const watcher = await sdk(url(0), 'watcher');
    const seen: Presence[] = [];
    watcher.on('presence', (p) => seen.push(p));
    await watcher.subscribe(['bob']);

    const alice = await sdk(url(0), 'alice');
    const bob1 = await sdk(url(1), 'bob', 'phone');
    const bob2 = await sdk(url(0), 'bob', 'laptop');
    await until(() => seen.some((p) => p.status === 'online'), 5000, 'bob online on node 1');

    const in1 = next<Call>(bob1, 'incoming');
    const in2 = next<Call>(bob2, 'incoming');
    const call = await alice.call('bob', { media: 'video', sdp: OFFER });
    // Listened for at once: the laptop, on alice's node, may ring her before
    // the phone on the other node even hears of the call.
    const ringing = next(call, 'ringing');
    const [c1, c2] = await Promise.all([in1, in2]);
    await ringing;
    const accepted = next(call, 'accepted');
    await c1.accept({ sdp: ANSWER });
    expect((await accepted).by).toEqual({ userId: 'bob', deviceId: 'phone' });
    expect(await c2.whenEnded()).toBe('answered_elsewhere');
    await until(() => seen.at(-1)?.inCall === true, 5000, 'bob in a call');

    const ended = next(c1, 'ended');
    await call.hangup();
    expect((await ended).reason).toBe('hangup');
  });

  it('refusals cross nodes with their codes: BUSY, reject, cancel', async () => {
    const carol = await sdk(url(0), 'carol');
    const dave = await sdk(url(1), 'dave');
    const erin = await sdk(url(1), 'erin');

    const daveRings = next<Call>(dave, 'incoming');
    const call = await carol.call('dave', { media: 'audio', sdp: OFFER });
    const busy = await rejection(erin.call('dave', { media: 'audio', sdp: OFFER }));
    expect(busy.code).toBe('BUSY');
    const rejected = next(call, 'ended');
    await (await daveRings).reject();
    expect((await rejected).reason).toBe('rejected');

    const daveRingsAgain = next<Call>(dave, 'incoming');
    const second = await carol.call('dave', { media: 'audio', sdp: OFFER });
    const cancelled = next((await daveRingsAgain) as Call, 'ended');
    await second.cancel();
    expect((await cancelled).reason).toBe('cancelled');
  });
});
