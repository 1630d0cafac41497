/**
 * Open-loop pacing: calls `fire()` so that `rate` operations a second are
 * started for `durationMs` (bounded in count and time), catching up after a
 * late timer. Resolves with how many were fired and the send window in ms.
 */
export function pace(rate: number, durationMs: number, fire: () => void): Promise<{ fired: number; windowMs: number }> {
  const total = Math.floor((rate * durationMs) / 1000);
  const t0 = performance.now();
  let fired = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - t0;
      const due = Math.min(total, Math.floor((rate * elapsed) / 1000));
      while (fired < due) {
        fired++;
        fire();
      }
      if (fired >= total || elapsed >= durationMs * 2) resolve({ fired, windowMs: performance.now() - t0 });
      else setTimeout(tick, 2);
    };
    tick();
  });
}

/** Waits until `done()` or `timeoutMs`, polling every 10 ms. */
export async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}
