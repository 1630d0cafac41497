interface Waiter<O> {
  resolve(out: O): void;
  reject(err: unknown): void;
}

/**
 * Requests that can wait a little, gathered for `windowMs` from the first
 * and run together, at most `maxBatch` items per run: one round trip for
 * many (liveness refreshes, background call re-checks). An item asked for
 * again within the window is run once, and both askers get its answer.
 * `run` answers one output per item, in order; when it fails, every item of
 * that run fails with its error.
 */
export class WindowBatch<I, O> {
  private pending: Map<I, Waiter<O>[]> | undefined;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly windowMs: number,
    private readonly maxBatch = Number.POSITIVE_INFINITY,
  ) {}

  add(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      if (!this.pending) {
        this.pending = new Map();
        setTimeout(() => this.flush(), this.windowMs).unref();
      }
      const waiters = this.pending.get(item);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(item, [{ resolve, reject }]);
    });
  }

  private flush(): void {
    const batch = [...(this.pending ?? [])];
    this.pending = undefined;
    for (let at = 0; at < batch.length; at += this.maxBatch) {
      const chunk = batch.slice(at, at + this.maxBatch);
      // From a promise, so that nothing `run` throws escapes the timer.
      Promise.resolve()
        .then(() => this.run(chunk.map(([item]) => item)))
        .then(
          (outs) => {
            chunk.forEach(([, waiters], i) => {
              for (const waiter of waiters) waiter.resolve(outs[i] as O);
            });
          },
          (err: unknown) => {
            for (const [, waiters] of chunk) for (const waiter of waiters) waiter.reject(err);
          },
        );
    }
  }
}
