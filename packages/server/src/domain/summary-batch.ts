import type { CallSummary } from '../store/store.js';

interface Waiter {
  resolve(summary: CallSummary | null): void;
  reject(err: unknown): void;
}

/**
 * Call reads that can wait a little, gathered for `windowMs` and sent to the
 * store as one round trip. Re-confirming the peer of a call whose signaling
 * flows is such a read (the message it came with has been relayed already):
 * one per sender every second or two, which on Redis was one round trip
 * each, and with it a wake-up of the node and of Redis.
 */
export class SummaryBatch {
  private queued = new Map<string, Waiter[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: (callIds: readonly string[]) => Promise<(CallSummary | null)[]>,
    private readonly windowMs = 50,
  ) {}

  /** The call's summary, read with the others asked for in the same window. */
  summary(callId: string): Promise<CallSummary | null> {
    return new Promise((resolve, reject) => {
      const waiters = this.queued.get(callId);
      if (waiters) waiters.push({ resolve, reject });
      else this.queued.set(callId, [{ resolve, reject }]);
      this.timer ??= setTimeout(() => this.flush(), this.windowMs).unref();
    });
  }

  private flush(): void {
    const batch = this.queued;
    this.queued = new Map();
    this.timer = undefined;
    const callIds = [...batch.keys()];
    this.read(callIds).then(
      (summaries) => {
        callIds.forEach((callId, i) => {
          for (const waiter of batch.get(callId) ?? []) waiter.resolve(summaries[i] ?? null);
        });
      },
      (err: unknown) => {
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(err);
      },
    );
  }
}
