import { once } from 'node:events';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepSubscriptions, subscriberOptions } from '../../packages/server/src/store/redis/shard-subscriptions.js';
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from '../support/redis-server.js';

const silent = pino({ level: 'silent' });

describe.skipIf(!redisServerAvailable)('the adapter’s shard subscriptions', () => {
  let server: RedisServerHandle;
  let observer: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    observer = new Redis(server.url);
    await observer.ping();
  });
  afterAll(async () => {
    observer.disconnect();
    await server.stop();
  });

  const subscribers = async (channel: string) =>
    ((await observer.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1];

  /** A subscriber as a node has it, ready and already subscribed to `channels`. */
  async function readySubscriber(...channels: string[]) {
    const sub = new Redis(server.url, subscriberOptions());
    const roomsReady = keepSubscriptions(sub, silent);
    await once(sub, 'ready');
    for (const channel of channels) await sub.ssubscribe(channel);
    await roomsReady();
    return { sub, roomsReady };
  }

  it('a channel asked for during the connection’s handshake is granted, without dropping the connection', async () => {
    const sub = new Redis(server.url, subscriberOptions());
    const roomsReady = keepSubscriptions(sub, silent);
    let closes = 0;
    sub.on('close', () => closes++);
    // As a fresh node's adapter does when a device joins its rooms at once:
    // ioredis would write the SSUBSCRIBE before its ready check's INFO,
    // which then fails on a subscribed connection and drops it.
    sub.once('connect', () => void sub.ssubscribe('room-a'));
    await once(sub, 'ready');
    await roomsReady();
    expect(await subscribers('room-a')).toBe(1);
    expect(closes).toBe(0);
    sub.disconnect();
  });

  it('counts a channel as ready only once Redis granted it, across a restart of Redis', async () => {
    const { sub, roomsReady } = await readySubscriber('room-b');
    expect(await subscribers('room-b')).toBe(1);

    // Asked for while the subscriber's connection is down (the waiter is
    // set before the restart: it can be ready again before that returns).
    sub.once('close', () => void sub.ssubscribe('room-c'));
    const back = once(sub, 'ready');
    await server.restart();
    await back;
    await roomsReady();
    expect(await subscribers('room-c')).toBe(1);
    // And the one from before the restart is asked for again.
    await expect.poll(() => subscribers('room-b')).toBe(1);
    sub.disconnect();
  });

  it('a channel left while Redis was away stays left through later reconnects', async () => {
    const { sub, roomsReady } = await readySubscriber('room-d', 'room-e');
    // The device leaves its room while the subscriber's connection is down.
    // Waiters are set before each restart: the subscriber can be ready
    // again before the restart's own wait for Redis ends.
    sub.once('close', () => void sub.sunsubscribe('room-d'));
    const back = once(sub, 'ready');
    await server.restart();
    await back;
    await roomsReady();
    const backAgain = once(sub, 'ready');
    await server.restart();
    await backAgain;
    await roomsReady();
    await expect.poll(() => subscribers('room-e')).toBe(1);
    expect(await subscribers('room-d')).toBe(0);
    sub.disconnect();
  });
});
