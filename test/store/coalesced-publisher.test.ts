import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coalescedPublisher } from '../../packages/server/src/store/redis/coalesced-publisher.js';
import { connectRedis } from '../../packages/server/src/store/redis/connection.js';
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from '../support/redis-server.js';

/** How many times Redis has read from its clients' sockets so far. */
async function readsProcessed(redis: Redis): Promise<number> {
  const stats = await redis.info('stats');
  return Number(/^total_reads_processed:(\d+)/m.exec(stats)?.[1]);
}

describe.skipIf(!redisServerAvailable)('the adapter’s coalescing publisher', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let observer: Redis;
  let subscriber: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = connectRedis(server.url);
    observer = new Redis(server.url);
    subscriber = new Redis(server.url);
    await once(redis, 'ready');
    await observer.ping();
  });
  afterAll(async () => {
    redis.disconnect();
    observer.disconnect();
    subscriber.disconnect();
    await server.stop();
  });

  it('sends the publishes of one event-loop turn in one write, in order', async () => {
    await subscriber.ssubscribe('ch');
    const received: string[] = [];
    subscriber.on('smessage', (_channel: string, message: string) => received.push(message));
    const publisher = coalescedPublisher(redis);

    const before = await readsProcessed(observer);
    const sent = Array.from({ length: 50 }, (_, i) => publisher.spublish('ch', `m${i}`));
    expect(await Promise.all(sent)).toEqual(Array.from({ length: 50 }, () => 1));
    // The observer's own INFO is one read; one write of 50 commands may take a
    // second read on Redis's side. Without the hold it is 50 reads.
    expect((await readsProcessed(observer)) - before).toBeLessThanOrEqual(3);

    while (received.length < 50) await once(subscriber, 'smessage');
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('publishes on the store connection itself, so an event follows the write it announces', async () => {
    // Redis answers one connection's commands in order; what the ordering of
    // events after state changes rests on is that the publish goes out on
    // that same connection, held behind the write issued before it.
    const publisher = coalescedPublisher(redis);
    const id = await redis.client('ID');
    const lastCommand = async () => /cmd=(\S+)/.exec(String(await observer.client('LIST', 'ID', id)))?.[1];
    const set = redis.set('k', 'v');
    const published = publisher.spublish('other', 'x');
    await Promise.all([set, published]);
    expect(await lastCommand()).toBe('spublish');
    await publisher.spublish('other', 'y');
    expect(await lastCommand()).toBe('spublish');
    await redis.set('k', 'w');
    expect(await lastCommand()).toBe('set');
  });

  it('fails a publish at once while Redis is unreachable, and publishes again once it is back', async () => {
    const publisher = coalescedPublisher(redis);
    await server.stop();
    await expect(publisher.spublish('ch', 'lost')).rejects.toThrow();
    await server.restart();
    await expect.poll(() => redis.status, { timeout: 10_000 }).toBe('ready');
    await expect(publisher.spublish('ch', 'back')).resolves.toEqual(expect.any(Number));
  });
});
