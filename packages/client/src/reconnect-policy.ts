/** What a reconnect policy knows when it decides. */
export interface ReconnectContext {
  /** Attempts made since the connection was lost (0 before the first). */
  retryCount: number;
  /** Milliseconds since the connection was lost. */
  elapsedMs: number;
  /** Why the last attempt or the connection failed. */
  reason: string;
}

/**
 * Decides when the client tries to reconnect after losing its connection.
 * Return the delay before the next attempt, or `null` to give up (the
 * client then closes and its calls end `disconnected`).
 *
 * @example
 * // Retry every second, for at most a minute.
 * const policy: ReconnectPolicy = { nextRetryDelayMs: ({ elapsedMs }) => (elapsedMs < 60_000 ? 1000 : null) };
 */
export interface ReconnectPolicy {
  nextRetryDelayMs(context: ReconnectContext): number | null;
}

export interface BackoffOptions {
  /** First delay (ms); the first attempt after a drop is immediate. */
  initialDelayMs?: number;
  /** Ceiling of the delay (ms). */
  maxDelayMs?: number;
  /** Give up after this long disconnected (ms); default: never. */
  giveUpAfterMs?: number;
  /** Random share (0-1) taken off each delay, so many clients do not reconnect in step. */
  jitter?: number;
}

/** The default: an immediate first attempt, then exponential backoff with jitter, never giving up. */
export class BackoffReconnectPolicy implements ReconnectPolicy {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly giveUpAfterMs: number;
  private readonly jitter: number;

  constructor(options: BackoffOptions = {}) {
    this.initialDelayMs = options.initialDelayMs ?? 300;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.giveUpAfterMs = options.giveUpAfterMs ?? Number.POSITIVE_INFINITY;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.3));
  }

  nextRetryDelayMs({ retryCount, elapsedMs }: ReconnectContext): number | null {
    if (elapsedMs >= this.giveUpAfterMs) return null;
    if (retryCount === 0) return 0;
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (retryCount - 1));
    return Math.round(base * (1 - Math.random() * this.jitter));
  }
}
