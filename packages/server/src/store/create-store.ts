import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServerOptions } from 'socket.io';
import type { Config } from '../config/config.js';
import type { Metrics } from '../metrics/metrics.js';
import { instrumentStore } from './instrumented-store.js';
import { MemoryStore } from './memory/memory-store.js';
import { coalescedPublisher } from './redis/coalesced-publisher.js';
import { connectRedis } from './redis/connection.js';
import { RedisStore } from './redis/redis-store.js';
import { keepSubscriptions, subscriberOptions } from './redis/shard-subscriptions.js';
import type { Store } from './store.js';

export interface Backend {
  kind: 'memory' | 'redis';
  store: Store;
  /** The store's connection, shared by the rate limiters. */
  redis?: Redis;
  keyPrefix?: string;
  adapter?: ServerOptions['adapter'];
  isStoreReady?: () => boolean;
  /** Resolves once the rooms joined so far are subscribed to, so their events can no longer be missed. */
  roomsReady?: () => Promise<void>;
  /** Registers a callback for each time the store becomes reachable again after an outage. */
  onStoreRecovered?: (listener: () => void) => void;
  close(): Promise<void>;
}

/** Picks the backend in one place: Redis when REDIS_URL is set, else the embedded single-node store. */
export async function createStore(config: Config, logger: Logger, metrics?: Metrics): Promise<Backend> {
  if (!config.REDIS_URL) {
    logger.info('no REDIS_URL: single-node mode with the in-memory store');
    const store = new MemoryStore({ historyMaxPerUser: config.HISTORY_MAX_PER_USER });
    return { kind: 'memory', store, close: () => store.close() };
  }
  return createRedisBackend(config.REDIS_URL, config.REDIS_KEY_PREFIX, logger, metrics, config.HISTORY_MAX_PER_USER);
}

/**
 * Two connections: the store's (fail-fast, also used by the rate limiters
 * and as the adapter's publisher), and the adapter's subscriber. Publishing
 * on the store's connection means a node that could change the state can
 * also announce the change: a publisher of its own reconnects on its own
 * schedule, and a node back from an outage would otherwise commit an accept
 * or an end while its events to other nodes are still being dropped, leaving
 * a peer that never hears of it. The publisher queues nothing while Redis is
 * down: an event published late could ring a phone for a call that ended
 * meanwhile, and the stored state, not delivery, is what devices are
 * reconciled from. The subscriber re-subscribes after every reconnect.
 */
export async function createRedisBackend(
  url: string,
  keyPrefix: string,
  logger: Logger,
  metrics?: Metrics,
  historyMaxPerUser?: number,
): Promise<Backend> {
  const redis = connectRedis(url);
  const sub = new Redis(url, subscriberOptions());
  sub.on('error', () => {});
  const subscriptionsSettled = keepSubscriptions(sub, logger);
  if (metrics) {
    sub.on('smessageBuffer', () => metrics.clusterMessages.inc());
    for (const client of [redis, sub]) {
      let connectedBefore = false;
      client.on('ready', () => {
        if (connectedBefore) metrics.redisReconnects.inc();
        connectedBefore = true;
      });
    }
  }
  const store = new RedisStore({
    redis,
    keyPrefix,
    ownsConnection: true,
    ...(historyMaxPerUser !== undefined && { historyMaxPerUser }),
  });

  // Recovery waits for both connections: a node that resyncs its devices
  // while its subscriber is still reconnecting would miss, for good, what
  // other nodes publish in between.
  const bothReady = () => redis.status === 'ready' && sub.status === 'ready';
  let wasReady = false;
  let lost = false;
  const recovered: (() => void)[] = [];
  const onReady = () => {
    if (!bothReady()) return;
    if (lost) {
      lost = false;
      logger.info('redis reachable again');
      for (const listener of recovered) listener();
    }
    wasReady = true;
  };
  const onClose = () => {
    if (!wasReady || lost) return;
    lost = true;
    logger.warn('redis connection lost');
  };
  for (const client of [redis, sub]) {
    client.on('ready', onReady);
    client.on('close', onClose);
  }

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
    adapter: createShardedAdapter(coalescedPublisher(redis), sub, {
      subscriptionMode: 'dynamic',
      channelPrefix: `${keyPrefix}:io`,
    }),
    isStoreReady: bothReady,
    roomsReady: subscriptionsSettled,
    onStoreRecovered: (listener) => recovered.push(listener),
    close: async () => {
      await store.close();
      sub.disconnect();
    },
  };
}
