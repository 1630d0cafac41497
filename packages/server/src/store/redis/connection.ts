import { Redis, type RedisOptions } from 'ioredis';
import { StoreUnavailableError } from '../store.js';

/**
 * How the store talks to Redis while Redis is down: it does not wait. The
 * protocol wants `UNAVAILABLE` within 3 s, so nothing is queued for later and
 * no command waits longer than `commandTimeoutMs`; the connection itself
 * keeps retrying in the background with capped, jittered backoff.
 */
export function failFastOptions(commandTimeoutMs = 2000): RedisOptions {
  return {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    // A script in flight when the connection broke may or may not have run;
    // replaying it on reconnect would hide that from its caller, who then
    // sees StoreUnavailableError and re-reads the state instead.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => {
      const capped = Math.min(2000, 50 * 2 ** Math.min(attempt, 6));
      // Jitter keeps every node of a cluster from reconnecting in step.
      return Math.round(capped / 2 + Math.random() * (capped / 2));
    },
  };
}

export function connectRedis(url: string, commandTimeoutMs?: number): Redis {
  const redis = new Redis(url, failFastOptions(commandTimeoutMs));
  // Without a listener ioredis prints every reconnect failure; the store
  // reports unavailability per call, and the owner may add a logger.
  redis.on('error', () => {});
  return redis;
}

/** Redis replies that mean "not now" rather than "wrong script". */
const transientReplies = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|OOM)\b/;

/**
 * Connection loss, timeouts and a Redis that cannot serve become
 * StoreUnavailableError; any other Redis reply is a bug and stays as it is.
 */
export function toStoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  if (err instanceof Error && err.name === 'ReplyError' && !transientReplies.test(err.message)) return err;
  return new StoreUnavailableError(err instanceof Error ? `store unavailable: ${err.message}` : undefined, {
    cause: err,
  });
}
