import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../../packages/server/src/for-each-limited.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('forEachLimited', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
      done.push(n);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('starts no more after a failure, lets the running ones finish, then rejects with it', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = forEachLimited([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('store down');
      await tick();
      finished.push(n);
    });
    await expect(run).rejects.toThrow('store down');
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2]);
  });

  it('does nothing for no items', async () => {
    await expect(forEachLimited([], 4, async () => {})).resolves.toBeUndefined();
  });
});
