import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { failFastOptions } from './connection.js';

/** How long a device's session waits for its rooms' channels before going on without them. */
export const ROOMS_READY_MAX_WAIT_MS = 2000;
const SUBSCRIBE_RETRY_MS = 250;

/** The adapter's subscriber connection: reconnects like the store's, but waits rather than fails. */
export function subscriberOptions(): RedisOptions {
  return {
    ...failFastOptions(),
    // A subscription asked for while Redis is down must wait, not fail: a room
    // it missed would never hear its events after recovery.
    enableOfflineQueue: true,
    commandTimeout: undefined,
    maxRetriesPerRequest: null,
    autoResendUnfulfilledCommands: true,
    // keepSubscriptions asks for every wanted channel on each `ready`.
    // ioredis' own resubscribe would also ask again for a channel the
    // adapter left while the connection was down, through the same
    // `ssubscribe`, making it wanted again for good.
    autoResubscribe: false,
  };
}

/**
 * Makes the adapter's shard subscriptions hold, and says when they do.
 * Returns `roomsReady`: resolves once every channel asked for so far is
 * granted on a ready connection (or no longer wanted), or after
 * {@link ROOMS_READY_MAX_WAIT_MS} with a warning.
 *
 * - **Nothing is asked for before `ready`.** ioredis writes SSUBSCRIBE at
 *   once on a connection still in its handshake; landing before the ready
 *   check's INFO, it turns the connection into a subscriber, the INFO
 *   fails, and ioredis drops the connection and starts over. A fresh node
 *   (or one reconnecting with rooms to restore) could flap like that for a
 *   while, and an SSUBSCRIBE lost with a dropped connection used to count
 *   as done: a device got its session, and the first event for it
 *   (`call_incoming`, `call_accepted`) was published to nobody.
 * - **Every wanted channel is asked for again on each `ready`** (SSUBSCRIBE
 *   is idempotent). ioredis restores subscriptions itself only when the
 *   connection after a loss stays up until its replies arrive; one that
 *   connects and drops at once (a partition, a proxy) makes it forget them.
 * - **A refusal on a live connection** (an ACL, a cluster moving a slot) is
 *   asked again until granted or no longer wanted: a room left unsubscribed
 *   would silently lose every event of its device.
 * - The adapter's un-awaited (un)subscribe promises are caught, so an
 *   outage never becomes an unhandled rejection.
 */
export function keepSubscriptions(sub: Redis, logger: Logger): () => Promise<void> {
  const wanted = new Set<string>();
  /** Channels whose request waits for the next `ready`; that handler leaves them to it. */
  const waiting = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  const ssubscribe = sub.ssubscribe.bind(sub);
  const sunsubscribe = sub.sunsubscribe.bind(sub);
  const retrying = new Set<string>();

  // One listener for every waiting channel, however many.
  let ready: Promise<void> | undefined;
  const nextReady = () => {
    ready ??= new Promise<void>((resolve) =>
      sub.once('ready', () => {
        ready = undefined;
        resolve();
      }),
    );
    return ready;
  };

  const subscribe = (channel: string): Promise<unknown> => {
    if (!wanted.has(channel)) return Promise.resolve(0);
    if (sub.status !== 'ready') {
      waiting.add(channel);
      return nextReady().then(() => {
        waiting.delete(channel);
        return subscribe(channel);
      });
    }
    return ssubscribe(channel).then(
      (count) => {
        if (retrying.delete(channel)) logger.info({ channel }, 'shard subscription granted after a refusal');
        return count;
      },
      (err: unknown) => {
        if (!wanted.has(channel)) return 0;
        // Lost with the connection: asked again once it is ready.
        if (sub.status !== 'ready') return subscribe(channel);
        if (!retrying.has(channel)) {
          retrying.add(channel);
          logger.warn({ err, channel }, 'shard subscription refused; asking again until granted');
        }
        return new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_RETRY_MS)).then(() => subscribe(channel));
      },
    );
  };

  // The adapter passes one channel, or an array of them.
  sub.ssubscribe = ((...args: (string | string[])[]) => {
    const channels = args.flat();
    for (const channel of channels) wanted.add(channel);
    const done = Promise.all(channels.map(subscribe));
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
    for (const channel of wanted) if (!waiting.has(channel)) void subscribe(channel);
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
