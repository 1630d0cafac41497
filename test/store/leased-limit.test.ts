import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LeasedLimit,
  MemoryWindowCounter,
  RedisWindowCounter,
  type WindowCounter,
} from '../../packages/server/src/ratelimit/leased-limit.js';
import { failFastOptions } from '../../packages/server/src/store/redis/connection.js';
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from '../support/redis-server.js';

let prefixes = 0;
const uniquePrefix = () => `rl${process.pid}-${++prefixes}`;

/** Consumes `n` points one by one; answers how many were allowed. */
async function spend(limit: LeasedLimit, key: string, n: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < n; i++) if ((await limit.consume(key)) === undefined) allowed++;
  return allowed;
}

describe('MemoryWindowCounter', () => {
  it('grants up to the limit per window, then again once the window ended', () => {
    let now = 1000;
    const counter = new MemoryWindowCounter(5, 10_000, () => now);
    expect(counter.take('d', 3)).toEqual({ granted: 3, msLeft: 10_000 });
    now += 4000;
    expect(counter.take('d', 3)).toEqual({ granted: 2, msLeft: 6000 });
    expect(counter.take('d', 1)).toEqual({ granted: 0, msLeft: 6000 });
    expect(counter.take('other', 1).granted).toBe(1);
    now += 6000;
    expect(counter.take('d', 5)).toEqual({ granted: 5, msLeft: 10_000 });
    counter.close();
  });

  it('a single node’s limit answers synchronously and exactly', () => {
    const memory = new MemoryWindowCounter(3, 10_000);
    const limit = new LeasedLimit(memory, 1);
    expect([limit.consume('d'), limit.consume('d'), limit.consume('d')]).toEqual([undefined, undefined, undefined]);
    const refused = limit.consume('d');
    expect(typeof refused).toBe('number');
    expect(refused).toBeGreaterThan(9000);
    limit.close();
    memory.close();
  });
});

describe.skipIf(!redisServerAvailable)('leased limits on Redis', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, failFastOptions());
    await once(redis, 'ready');
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  /** A Redis counter that counts its round trips. */
  function counted(points: number, windowMs: number, prefix = uniquePrefix()) {
    const inner = new RedisWindowCounter(redis, prefix, points, windowMs);
    const counter: WindowCounter & { trips: number } = {
      trips: 0,
      take(key, want) {
        counter.trips++;
        return inner.take(key, want);
      },
    };
    return counter;
  }

  it('leases at most a quarter of what remains, and one point at a time near the end', async () => {
    const counter = counted(200, 10_000);
    const grants: number[] = [];
    for (let i = 0; i < 12; i++) grants.push((await counter.take('d', 50)).granted);
    expect(grants).toEqual([50, 37, 28, 21, 16, 12, 9, 6, 5, 4, 3, 2]);
    let total = grants.reduce((a, b) => a + b, 0);
    for (;;) {
      const { granted, msLeft } = await counter.take('d', 50);
      expect(msLeft).toBeGreaterThan(0);
      expect(msLeft).toBeLessThanOrEqual(10_000);
      if (granted === 0) break;
      expect(granted).toBe(1);
      total += granted;
    }
    expect(total).toBe(200);
  });

  it('one node spends exactly the limit with a round trip per lease, not per request', async () => {
    const counter = counted(1000, 10_000);
    const limit = new LeasedLimit(counter, 50);
    expect(await spend(limit, 'd', 1100)).toBe(1000);
    // 1000 points at up to 50 a lease, a quarter of the rest once under 200: far fewer than 1000.
    expect(counter.trips).toBeLessThan(60);
    limit.close();
  });

  it('two nodes sharing a key never allow more than the limit together', async () => {
    const prefix = uniquePrefix();
    const a = new LeasedLimit(counted(100, 10_000, prefix), 50);
    const b = new LeasedLimit(counted(100, 10_000, prefix), 50);
    const [x, y] = await Promise.all([spend(a, 'd', 80), spend(b, 'd', 80)]);
    expect(x + y).toBeLessThanOrEqual(100);
    // What a node leased and did not spend counts as used: at most a quarter went unspent here.
    expect(x + y).toBeGreaterThanOrEqual(75);
    a.close();
    b.close();
  });

  it('requests arriving during a renewal wait for it, in order, and share its lease', async () => {
    const counter = counted(1000, 10_000);
    const limit = new LeasedLimit(counter, 50);
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        expect(await limit.consume('d')).toBeUndefined();
        order.push(i);
      }),
    );
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(counter.trips).toBe(1);
    limit.close();
  });

  it('falls back to this node’s counter while Redis is unreachable', async () => {
    const own = await startRedisServer();
    const conn = new Redis(own.url, failFastOptions());
    conn.on('error', () => {});
    await once(conn, 'ready');
    const memory = new MemoryWindowCounter(3, 10_000);
    const limit = new LeasedLimit(new RedisWindowCounter(conn, uniquePrefix(), 1000, 10_000), 1, memory);
    expect(await limit.consume('d')).toBeUndefined();
    await own.kill();
    await new Promise((r) => setTimeout(r, 100));
    expect(await spend(limit, 'd', 5)).toBe(3);
    conn.disconnect();
    limit.close();
    memory.close();
  });
});
