import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServerOptions } from 'socket.io';
import type { Config } from '../config/config.js';
import type { Metrics } from '../metrics/metrics.js';
import { instrumentStore } from './instrumented-store.js';
import { MemoryStore } from './memory/memory-store.js';
import { coalescedPublisher } from './redis/coalesced-publisher.js';
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
 * Makes the adapter's shard subscriptions survive any reconnect. ioredis
 * restores them itself only when the connection that follows a loss stays up
 * until its SSUBSCRIBE replies arrive; one that connects and drops at once
 * (a partition, a proxy) makes it forget them, and with its ready check off
 * it could even end up "ready" on a closed socket and stop reconnecting. So
 * every channel the adapter wants is asked for again on each `ready`
 * (SSUBSCRIBE is idempotent), and the adapter's un-awaited (un)subscribe
 * promises are caught so an outage never becomes an unhandled rejection.
 * A channel Redis refuses on a live connection (an ACL, a cluster moving a
 * slot) is asked for again until it is granted or no longer wanted: a room
 * left unsubscribed would silently lose every event of its device.
 */
const ROOMS_READY_MAX_WAIT_MS = 2000;
const SUBSCRIBE_RETRY_MS = 250;

function keepSubscriptions(sub: Redis, logger: Logger): () => Promise<void> {
  const wanted = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  const ssubscribe = sub.ssubscribe.bind(sub);
  const sunsubscribe = sub.sunsubscribe.bind(sub);
  const retrying = new Set<string>();
  const resubscribe = (channel: string): Promise<unknown> =>
    ssubscribe(channel).then(
      (count) => {
        if (retrying.delete(channel)) logger.info({ channel }, 'shard subscription granted after a refusal');
        return count;
      },
      (err: unknown) => {
        // While disconnected, the next `ready` asks for every wanted channel.
        if (!wanted.has(channel) || sub.status !== 'ready') return 0;
        if (!retrying.has(channel)) {
          retrying.add(channel);
          logger.warn({ err, channel }, 'shard subscription refused; asking again until granted');
        }
        return new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_RETRY_MS)).then(() =>
          wanted.has(channel) ? resubscribe(channel) : 0,
        );
      },
    );
  // The adapter passes one channel, or an array of them.
  sub.ssubscribe = ((...args: (string | string[])[]) => {
    const channels = args.flat();
    for (const channel of channels) wanted.add(channel);
    const done = Promise.all(channels.map(resubscribe));
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
    return done.then(() => wanted.size);
  }) as Redis['ssubscribe'];
  sub.sunsubscribe = ((...args: (string | string[])[]) => {
    const channels = args.flat();
    for (const channel of channels) {
      wanted.delete(channel);
      retrying.delete(channel);
    }
    return sunsubscribe(...channels).catch(() => 0);
  }) as Redis['sunsubscribe'];
  sub.on('ready', () => {
    for (const channel of wanted) void resubscribe(channel);
  });
  // Bounded: while Redis is down subscriptions wait for it, and a device
  // must still get its session (requests then answer UNAVAILABLE).
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        late = true;
        resolve();
      }, ROOMS_READY_MAX_WAIT_MS);
    });
    await Promise.race([Promise.all(inFlight), bound]);
    clearTimeout(timer);
    if (late) {
      logger.warn(
        { pending: inFlight.size, waitedMs: ROOMS_READY_MAX_WAIT_MS },
        'shard subscriptions not confirmed in time; going on without them',
      );
    }
  };
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
  const sub = new Redis(url, {
    ...failFastOptions(),
    // A subscription asked for while Redis is down must wait, not fail: a room
    // it missed would never hear its events after recovery.
    enableOfflineQueue: true,
    commandTimeout: undefined,
    maxRetriesPerRequest: null,
    autoResendUnfulfilledCommands: true,
  });
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
