import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failFastOptions } from '../../packages/server/src/store/redis/connection.js';
import { createRedisStore, RedisStore } from '../../packages/server/src/store/redis/redis-store.js';
import { StoreUnavailableError } from '../../packages/server/src/store/store.js';
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from '../support/redis-server.js';
import { alice, bob, invite, register, T0 } from './contract/fixtures.js';
import { storeContract } from './store-contract.js';

let prefixes = 0;
const uniquePrefix = () => `t${process.pid}-${++prefixes}`;

describe.skipIf(!redisServerAvailable)('RedisStore', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  // One server for the contract; each store gets its own key prefix instead of a FLUSHALL.
  storeContract('redis', async (options) => {
    const store = createRedisStore({ url: server.url, keyPrefix: uniquePrefix(), ...options });
    await store.ready();
    return { store, cleanup: () => store.close() };
  });

  it('keeps every key under one hash tag, and stores with different prefixes apart', async () => {
    const keyPrefix = uniquePrefix();
    const store = createRedisStore({ url: server.url, keyPrefix });
    const other = createRedisStore({ url: server.url, keyPrefix: uniquePrefix() });
    try {
      await Promise.all([store.ready(), other.ready()]);
      await store.refreshNode('node-a', T0, 10_000);
      await register(store, alice.phone);
      await register(store, bob.phone);
      const result = await invite(store, alice.phone, bob.phone.userId);
      if (!result.ok) throw new Error('invite failed');
      await store.addCandidate(result.call.callId, { candidate: 'c' }, 64);
      await store.unregisterDevice({ ...bob.phone, socketId: 'x', now: T0, graceMs: 1 });

      const keys = await store.redis.keys(`${keyPrefix}:*`);
      expect(keys.length).toBeGreaterThan(5);
      for (const key of keys) expect(key.startsWith(`${keyPrefix}:{s}:`)).toBe(true);
      expect(await other.listDevices(alice.phone.userId)).toEqual([]);
      expect(await other.getCall(result.call.callId)).toBeNull();
    } finally {
      await store.close();
      await other.close();
    }
  });

  it('a shared connection stays open after close()', async () => {
    const redis = new Redis(server.url, failFastOptions());
    try {
      const store = new RedisStore({ redis, keyPrefix: uniquePrefix() });
      await store.ready();
      await store.close();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });
});

describe.skipIf(!redisServerAvailable)('RedisStore while Redis is down', () => {
  let server: RedisServerHandle;
  let store: RedisStore;
  beforeAll(async () => {
    server = await startRedisServer();
    store = createRedisStore({ url: server.url, keyPrefix: uniquePrefix() });
    await store.ready();
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  const attempts = () => [
    store.getCall('c'),
    store.refreshNode('node-a', T0, 1000),
    store.getPresence([alice.phone.userId]),
    register(store, alice.phone),
    invite(store, alice.phone, bob.phone.userId, { allowOffline: true }),
    store.claimRingTimeouts(T0, 10, 1000),
  ];

  it('rejects every method with StoreUnavailableError within 3 s, then recovers on an empty Redis', async () => {
    await register(store, alice.phone);
    await server.kill();
    const started = Date.now();
    const results = await Promise.allSettled(attempts());
    expect(Date.now() - started).toBeLessThan(3000);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(StoreUnavailableError);
    }

    await server.restart();
    await store.ready(10_000);
    // Redis lost the scripts with everything else; EVALSHA falls back to EVAL.
    expect(await store.listDevices(alice.phone.userId)).toEqual([]);
    expect(await register(store, alice.phone)).toEqual({ cameOnline: true });
    expect(await invite(store, alice.phone, bob.phone.userId, { allowOffline: true })).toMatchObject({ ok: true });
  });

  it('rejects a command that Redis never answers after commandTimeout', async () => {
    const paused = createRedisStore({ url: server.url, keyPrefix: uniquePrefix(), commandTimeoutMs: 300 });
    await paused.ready();
    const blocker = new Redis(server.url);
    try {
      // CLIENT PAUSE stalls every other client the way a hung Redis would.
      await blocker.call('CLIENT', 'PAUSE', '1000', 'ALL');
      await expect(paused.getCall('c')).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await paused.close();
      blocker.disconnect();
    }
  });
});
