import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/config.js';
import { LeasedLimit, MemoryWindowCounter, RedisWindowCounter } from './leased-limit.js';

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

/** The per-device limits, which every relayed message passes: counted from local leases (see {@link LeasedLimit}). */
const LEASED: ReadonlySet<LimitKind> = new Set(['signaling', 'request']);
/** Most points a node leases at once; a quarter of what remains caps it further (see `lua/lease-points-1.lua`). */
const LEASE_MAX = 50;

/**
 * Counts requests against the contract's limits. With Redis the counters are
 * shared by every node; while Redis is unreachable each node falls back to
 * its own in-memory counters rather than refusing everyone or letting
 * everything through. The per-device limits are leased a few points at a
 * time; the invite (per user) and connection (per IP) limits, which see
 * far fewer requests, go to rate-limiter-flexible one point at a time.
 */
export class RateLimits {
  private readonly limiters = new Map<LimitKind, Limiter>();
  private readonly leased = new Map<LimitKind, LeasedLimit>();
  private readonly local: MemoryWindowCounter[] = [];

  constructor(
    config: Config,
    redis?: Redis,
    keyPrefix = 'sb',
    private readonly onLimited: (kind: LimitKind) => void = () => {},
  ) {
    for (const [kind, spec] of Object.entries(specs(config)) as [LimitKind, LimitSpec][]) {
      if (spec.points === 0) continue;
      const prefix = `${keyPrefix}:rl:${kind}`;
      if (LEASED.has(kind)) {
        const memory = new MemoryWindowCounter(spec.points, spec.durationS * 1000);
        this.local.push(memory);
        this.leased.set(
          kind,
          redis
            ? new LeasedLimit(
                new RedisWindowCounter(redis, prefix, spec.points, spec.durationS * 1000),
                LEASE_MAX,
                memory,
              )
            : new LeasedLimit(memory, 1),
        );
        continue;
      }
      const options = { points: spec.points, duration: spec.durationS, keyPrefix: prefix };
      this.limiters.set(
        kind,
        redis
          ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
          : new RateLimiterMemory(options),
      );
    }
  }

  /**
   * Consumes one point: undefined when allowed, else the wait in ms. Answers
   * without a promise when it can (a limit that is off, a lease that lasts,
   * a single node's per-device limits).
   */
  consume(kind: LimitKind, key: string): Promise<number | undefined> | number | undefined {
    const leased = this.leased.get(kind);
    if (leased) {
      const wait = leased.consume(key);
      if (wait instanceof Promise) return wait.then((w) => this.limited(kind, w));
      return this.limited(kind, wait);
    }
    const limiter = this.limiters.get(kind);
    if (!limiter) return undefined;
    return limiter.consume(key).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof RateLimiterRes) return this.limited(kind, Math.max(1, Math.ceil(err.msBeforeNext)));
        throw err;
      },
    );
  }

  /** Stops the sweeps of the in-memory counters and leases. */
  close(): void {
    for (const counter of this.local) counter.close();
    for (const limit of this.leased.values()) limit.close();
  }

  private limited(kind: LimitKind, wait: number | undefined): number | undefined {
    if (wait !== undefined) this.onLimited(kind);
    return wait;
  }
}
