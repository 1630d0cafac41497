import type { Call, SwitchboardClient } from '@switchboard/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import { closeAll, next, sdk } from '../client/helpers.js';
import { type Cluster, startCluster } from '../support/cluster.js';
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from '../support/redis-server.js';
import {
  nextMessage,
  packetsReceived,
  remoteChannel,
  silentAudio,
  waitConnected,
  waitFor,
  weriftPeer,
} from './werift-peer.js';

/**
 * Two real WebRTC peers (werift, pure TypeScript) on the SDK, signaling
 * through a two-node Redis-backed cluster: the caller on node 1, the
 * callee on node 2.
 */
describe.skipIf(!redisServerAvailable)('werift peers through a Redis cluster', () => {
  let redis: RedisServerHandle;
  let cluster: Cluster;
  const peers: RTCPeerConnection[] = [];
  const pumps: { stop(): void }[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    cluster = await startCluster(2, { REDIS_URL: redis.url });
  });
  afterEach(async () => {
    for (const p of pumps.splice(0)) p.stop();
    closeAll();
    await Promise.all(peers.splice(0).map((pc) => pc.close()));
  });
  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
  });

  const peer = () => {
    const pc = weriftPeer();
    peers.push(pc);
    return pc;
  };
  const url = (i: number) => cluster.nodes[i]!.url;

  /** A call from `alice` to `bob`'s `answering` device, with a data channel; resolves when both peers are connected. */
  async function connectedCall(alice: SwitchboardClient, answering: SwitchboardClient) {
    const callerPc = peer();
    const calleePc = peer();
    const channel = callerPc.createDataChannel('chat');
    const incoming = next<Call>(answering, 'incoming', 10_000);
    const call = await alice.call(answering.userId, { media: 'audio', peerConnection: () => callerPc });
    const theirs = await incoming;
    const theirChannel = remoteChannel(calleePc);
    await theirs.accept({ peerConnection: calleePc });
    await Promise.all([waitConnected(callerPc, 'caller'), waitConnected(calleePc, 'callee')]);
    return { call, theirs, callerPc, calleePc, channel, theirChannel: await theirChannel };
  }

  it('connect, exchange data-channel messages, then renegotiate to add audio that flows', async () => {
    const alice = await sdk(url(0), 'alice', 'laptop');
    const bob = await sdk(url(1), 'bob', 'laptop');
    expect(alice.session.nodeId).toBe('node-1');
    expect(bob.session.nodeId).toBe('node-2');
    const { call, theirs, callerPc, calleePc, channel, theirChannel } = await connectedCall(alice, bob);
    expect(call.state).toBe('active');

    await waitFor('data channel open', () => channel.readyState === 'open');
    const ping = nextMessage(theirChannel);
    channel.send('ping from node 1');
    expect(await ping).toBe('ping from node 1');
    const pong = nextMessage(channel);
    theirChannel.send('pong from node 2');
    expect(await pong).toBe('pong from node 2');

    // Adding a transceiver fires negotiationneeded; the SDK sends sdp_offer, the callee's SDK answers.
    const offered = next(theirs, 'remoteOffer', 10_000);
    const audio = silentAudio();
    pumps.push(audio);
    callerPc.addTransceiver(audio.track, { direction: 'sendrecv' });
    await offered;
    await waitFor('audio packets received by the callee', async () => (await packetsReceived(calleePc)) > 0);
    expect(await packetsReceived(calleePc)).toBeGreaterThan(0);

    const ended = next(theirs, 'ended');
    await call.hangup();
    expect(await ended).toEqual({ reason: 'hangup', by: { userId: 'alice', deviceId: 'laptop' } });
    expect(callerPc.connectionState).toBe('closed'); // the SDK closed both peer connections
    await waitFor('callee peer closed', () => calleePc.connectionState === 'closed', 5000);
  }, 40_000);

  it('the callee answers on its second device while the first stops ringing', async () => {
    const alice = await sdk(url(0), 'carol', 'phone');
    const bobFirst = await sdk(url(1), 'dave', 'phone');
    const bobSecond = await sdk(url(0), 'dave', 'desk');
    const firstRings = next<Call>(bobFirst, 'incoming', 10_000);
    const { call, theirs, calleePc, channel, theirChannel } = await connectedCall(alice, bobSecond);
    const stale = await firstRings;
    expect(await stale.whenEnded()).toBe('answered_elsewhere');
    expect(bobFirst.calls.size).toBe(0);
    expect(call.peer).toEqual({ userId: 'dave', deviceId: 'desk' });

    await waitFor('data channel open', () => channel.readyState === 'open');
    const hello = nextMessage(theirChannel);
    channel.send('hello desk');
    expect(await hello).toBe('hello desk');

    const audio = silentAudio();
    pumps.push(audio);
    const offered = next(theirs, 'remoteOffer', 10_000);
    (call.peerConnection as RTCPeerConnection).addTransceiver(audio.track, { direction: 'sendrecv' });
    await offered;
    await waitFor('audio packets received by the second device', async () => (await packetsReceived(calleePc)) > 0);

    const ended = next(call, 'ended');
    await theirs.hangup();
    expect((await ended).reason).toBe('hangup');
  }, 40_000);
});
