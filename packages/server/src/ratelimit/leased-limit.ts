import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** Points handed out for one key of a fixed-window limit, and how long the window has left. */
export interface Grant {
  granted: number;
  msLeft: number;
}

/** Where a limit's windows are counted: Redis for a cluster, this process otherwise. */
export interface WindowCounter {
  /** Takes up to `want` points of `key`'s current window; `granted` 0 means the limit is reached. */
  take(key: string, want: number): Grant | Promise<Grant>;
}

/**
 * Windows counted in this process: a single node's truth, and a cluster
 * node's stand-in while Redis is unreachable. Synchronous, so a request on
 * a single node pays no promise for its limit.
 */
export class MemoryWindowCounter implements WindowCounter {
  private readonly windows = new Map<string, { used: number; endsAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly points: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    // Ended windows are dropped in bulk rather than with a timer per key.
    this.sweeper = setInterval(() => this.sweep(), windowMs).unref();
  }

  take(key: string, want: number): Grant {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { used: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    const granted = Math.max(0, Math.min(want, this.points - window.used));
    window.used += granted;
    return { granted, msLeft: window.endsAt - now };
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

const LEASE_LUA = readFileSync(new URL('./lua/lease-points-1.lua', import.meta.url), 'utf8');
const COMMAND = 'sbLeasePoints';

/** Windows counted in Redis, shared by every node; see `lua/lease-points-1.lua` for how much one lease takes. */
export class RedisWindowCounter implements WindowCounter {
  private readonly lease: (key: string, want: number, points: number, windowMs: number) => Promise<[number, number]>;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly points: number,
    private readonly windowMs: number,
  ) {
    redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: LEASE_LUA });
    // defineCommand adds a method ioredis cannot type.
    const command = (redis as unknown as Record<string, (...args: (string | number)[]) => Promise<[number, number]>>)[
      COMMAND
    ];
    if (!command) throw new Error(`ioredis did not define ${COMMAND}`);
    this.lease = (...args) => command.call(redis, ...args);
  }

  async take(key: string, want: number): Promise<Grant> {
    const [granted, msLeft] = await this.lease(`${this.keyPrefix}:${key}`, want, this.points, this.windowMs);
    return { granted, msLeft };
  }
}

/**
 * A per-device limit consumed from local leases: the node takes several
 * points at once from the shared counter and spends them without a round
 * trip per request (on Redis, that round trip was one of the two commands
 * every relayed candidate cost). A device talks to one node at a time, so a
 * lease is spent where it was taken; one left unspent when the device moves
 * counts as used, which errs on the side of the limit.
 *
 * Requests of one key that arrive while its lease is being renewed wait for
 * that renewal, in order, instead of each asking for one.
 */
export class LeasedLimit {
  private readonly leases = new Map<string, { points: number; until: number }>();
  private readonly renewals = new Map<string, Promise<void>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly counter: WindowCounter,
    /** Most points one lease takes. */
    private readonly leaseMax: number,
    /** Counts while `counter` fails (Redis unreachable); without it the failure propagates. */
    private readonly fallback?: WindowCounter,
    private readonly now: () => number = Date.now,
  ) {
    // Leases of devices that went away are dropped once their window ended.
    this.sweeper = setInterval(() => {
      const at = this.now();
      for (const [key, lease] of this.leases) if (lease.until <= at) this.leases.delete(key);
    }, 10_000).unref();
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /**
   * undefined when allowed, else the wait in ms until the window ends.
   * Answers at once while a lease lasts, and always with a counter in this
   * process.
   */
  consume(key: string): Promise<number | undefined> | number | undefined {
    const lease = this.leases.get(key);
    if (lease) {
      const now = this.now();
      if (now < lease.until) {
        // A refusal is remembered too: a device over its limit costs no round trip per request.
        if (lease.points === 0) return Math.max(1, Math.ceil(lease.until - now));
        lease.points--;
        if (lease.points === 0) this.leases.delete(key);
        return undefined;
      }
      this.leases.delete(key);
    }
    const renewal = this.renewals.get(key);
    if (renewal) return renewal.then(() => this.consume(key));
    let taken: Grant | Promise<Grant>;
    try {
      taken = this.counter.take(key, this.leaseMax);
    } catch (err) {
      taken = this.fallBack(key, err);
    }
    if (!(taken instanceof Promise)) return this.apply(key, taken);
    const result = taken.catch((err: unknown) => this.fallBack(key, err)).then((grant) => this.apply(key, grant));
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.renewals.set(key, settled);
    void settled.then(() => this.renewals.delete(key));
    return result;
  }

  private fallBack(key: string, err: unknown): Grant | Promise<Grant> {
    if (!this.fallback) throw err;
    return this.fallback.take(key, 1);
  }

  private apply(key: string, grant: Grant): number | undefined {
    if (grant.granted === 0) {
      this.leases.set(key, { points: 0, until: this.now() + grant.msLeft });
      return Math.max(1, Math.ceil(grant.msLeft));
    }
    if (grant.granted > 1) this.leases.set(key, { points: grant.granted - 1, until: this.now() + grant.msLeft });
    return undefined;
  }
}
