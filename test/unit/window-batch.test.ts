import { describe, expect, it } from 'vitest';
import type { CallSummary } from '../../packages/server/src/store/store.js';
import { WindowBatch } from '../../packages/server/src/window-batch.js';

const summaryOf = (callId: string) => ({ callId, state: 'active' }) as CallSummary;

describe('WindowBatch', () => {
  it('reads the calls asked for within one window in one read, each once', async () => {
    const reads: string[][] = [];
    const batch = new WindowBatch(async (ids: string[]) => {
      reads.push([...ids]);
      return ids.map((id) => (id === 'gone' ? null : summaryOf(id)));
    }, 20);
    const answers = await Promise.all([batch.add('a'), batch.add('b'), batch.add('a'), batch.add('gone')]);
    expect(reads).toEqual([['a', 'b', 'gone']]);
    expect(answers).toEqual([summaryOf('a'), summaryOf('b'), summaryOf('a'), null]);
    // The next window is a read of its own.
    expect(await batch.add('c')).toEqual(summaryOf('c'));
    expect(reads).toEqual([['a', 'b', 'gone'], ['c']]);
  });

  it('a failed read fails every call of its window, and the next window reads again', async () => {
    let fail = true;
    const batch = new WindowBatch(async (ids: string[]) => {
      if (fail) throw new Error('store unavailable');
      return ids.map(summaryOf);
    }, 5);
    const first = batch.add('a');
    const second = batch.add('b');
    await expect(first).rejects.toThrow('store unavailable');
    await expect(second).rejects.toThrow('store unavailable');
    fail = false;
    expect(await batch.add('a')).toEqual(summaryOf('a'));
  });
});
