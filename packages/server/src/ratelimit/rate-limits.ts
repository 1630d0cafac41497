import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/config.js';

/** The contract's four limits. `invite` is per user, `connection` per IP, the rest per device. */
export type LimitKind = 'invite' | 'signaling' | 'request' | 'connection';

interface LimitSpec {
  points: number;
  durationS: number;
}

function specs(config: Config): Record<LimitKind, LimitSpec> {
  return {
    invite: { points: config.RATE_LIMIT_INVITES_PER_MIN, durationS: 60 },
    signaling: { points: config.RATE_LIMIT_SIGNALING_PER_10S, durationS: 10 },
    request: { points: config.RATE_LIMIT_REQUESTS_PER_10S, durationS: 10 },
    connection: { points: config.RATE_LIMIT_CONNECTIONS_PER_10S, durationS: 10 },
  };
}

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * Counts requests against the contract's limits. With Redis the counters are
 * shared by every node; while Redis is unreachable each node falls back to
 * its own in-memory counters (the insurance limiter) rather than refusing
 * everyone or letting everything through.
 */
export class RateLimits {
  private readonly limiters = new Map<LimitKind, Limiter>();

  constructor(
    config: Config,
    redis?: Redis,
    keyPrefix = 'sb',
    private readonly onLimited: (kind: LimitKind) => void = () => {},
  ) {
    for (const [kind, spec] of Object.entries(specs(config)) as [LimitKind, LimitSpec][]) {
      if (spec.points === 0) continue;
      const options = { points: spec.points, duration: spec.durationS, keyPrefix: `${keyPrefix}:rl:${kind}` };
      this.limiters.set(
        kind,
        redis
          ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
          : new RateLimiterMemory(options),
      );
    }
  }

  /**
   * Consumes one point; resolves to the wait in ms when over the limit,
   * undefined when allowed. A limit that is off answers undefined at once,
   * without a promise.
   */
  consume(kind: LimitKind, key: string): Promise<number | undefined> | undefined {
    const limiter = this.limiters.get(kind);
    if (!limiter) return undefined;
    return limiter.consume(key).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof RateLimiterRes) {
          this.onLimited(kind);
          return Math.max(1, Math.ceil(err.msBeforeNext));
        }
        throw err;
      },
    );
  }
}
