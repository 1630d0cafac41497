import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServerOptions } from 'socket.io';
import type { Config } from '../config/config.js';
import type { Metrics } from '../metrics/metrics.js';
import { instrumentStore } from './instrumented-store.js';
import { MemoryStore } from './memory/memory-store.js';
import { connectRedis, failFastOptions } from './redis/connection.js';
import { RedisStore } from './redis/redis-store.js';
import type { Store } from './store.js';

export interface Backend {
  kind: 'memory' | 'redis';
  store: Store;
  /** The store's connection, shared by the rate limiters. */
  redis?: Redis;
  keyPrefix?: string;
  adapter?: ServerOptions['adapter'];
  isStoreReady?: () => boolean;
  /** Registers a callback for each time the store becomes reachable again after an outage. */
  onStoreRecovered?: (listener: () => void) => void;
  close(): Promise<void>;
}

/** Picks the backend in one place: Redis when REDIS_URL is set, else the embedded single-node store. */
export async function createStore(config: Config, logger: Logger, metrics?: Metrics): Promise<Backend> {
  if (!config.REDIS_URL) {
    logger.info('no REDIS_URL: single-node mode with the in-memory store');
    const store = new MemoryStore();
    return { kind: 'memory', store, close: () => store.close() };
  }
  return createRedisBackend(config.REDIS_URL, config.REDIS_KEY_PREFIX, logger, metrics);
}

/**
 * Three connections: the store's (fail-fast, also used by the rate
 * limiters), and the adapter's publisher and subscriber. The publisher
 * queues nothing while Redis is down: an event published late could ring a
 * phone for a call that ended meanwhile, and the stored state, not
 * delivery, is what devices are reconciled from. The subscriber keeps
 * ioredis' automatic re-subscription, which the sharded adapter relies on
 * after a reconnect.
 */
export async function createRedisBackend(
  url: string,
  keyPrefix: string,
  logger: Logger,
  metrics?: Metrics,
): Promise<Backend> {
  const redis = connectRedis(url);
  const pub = connectRedis(url);
  const sub = new Redis(url, {
    ...failFastOptions(),
    // A subscription asked for while Redis is down must wait, not fail: a room
    // it missed would never hear its events after recovery.
    enableOfflineQueue: true,
    commandTimeout: undefined,
    // ioredis' ready check (INFO) fails on a connection that queued an
    // SSUBSCRIBE before it was up, leaving the subscriber dead.
    enableReadyCheck: false,
    autoResendUnfulfilledCommands: true,
  });
  sub.on('error', () => {});
  if (metrics) {
    sub.on('smessageBuffer', () => metrics.clusterMessages.inc());
    for (const client of [redis, pub, sub]) {
      let connectedBefore = false;
      client.on('ready', () => {
        if (connectedBefore) metrics.redisReconnects.inc();
        connectedBefore = true;
      });
    }
  }
  const store = new RedisStore({ redis, keyPrefix, ownsConnection: true });

  let wasReady = false;
  const recovered: (() => void)[] = [];
  redis.on('ready', () => {
    if (wasReady) {
      logger.info('redis reachable again');
      for (const listener of recovered) listener();
    }
    wasReady = true;
  });
  redis.on('close', () => {
    if (wasReady) logger.warn('redis connection lost');
  });

  try {
    await store.ready(10_000);
  } catch (err) {
    logger.warn({ err }, 'redis not reachable yet; starting unready, requests answer UNAVAILABLE until it is');
  }
  logger.info({ keyPrefix }, 'multi-node mode on redis');
  return {
    kind: 'redis',
    store: metrics ? instrumentStore(store, metrics.redisCommand) : store,
    redis,
    keyPrefix,
    adapter: createShardedAdapter(pub, sub, { subscriptionMode: 'dynamic', channelPrefix: `${keyPrefix}:io` }),
    isStoreReady: () => redis.status === 'ready' && sub.status === 'ready',
    onStoreRecovered: (listener) => recovered.push(listener),
    close: async () => {
      await store.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
