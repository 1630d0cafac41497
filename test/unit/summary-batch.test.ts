import { describe, expect, it } from 'vitest';
import { SummaryBatch } from '../../packages/server/src/domain/summary-batch.js';
import type { CallSummary } from '../../packages/server/src/store/store.js';

const summaryOf = (callId: string) => ({ callId, state: 'active' }) as CallSummary;

describe('SummaryBatch', () => {
  it('reads the calls asked for within one window in one read, each once', async () => {
    const reads: string[][] = [];
    const batch = new SummaryBatch(async (ids) => {
      reads.push([...ids]);
      return ids.map((id) => (id === 'gone' ? null : summaryOf(id)));
    }, 20);
    const answers = await Promise.all([
      batch.summary('a'),
      batch.summary('b'),
      batch.summary('a'),
      batch.summary('gone'),
    ]);
    expect(reads).toEqual([['a', 'b', 'gone']]);
    expect(answers).toEqual([summaryOf('a'), summaryOf('b'), summaryOf('a'), null]);
    // The next window is a read of its own.
    expect(await batch.summary('c')).toEqual(summaryOf('c'));
    expect(reads).toEqual([['a', 'b', 'gone'], ['c']]);
  });

  it('a failed read fails every call of its window, and the next window reads again', async () => {
    let fail = true;
    const batch = new SummaryBatch(async (ids) => {
      if (fail) throw new Error('store unavailable');
      return ids.map(summaryOf);
    }, 5);
    const first = batch.summary('a');
    const second = batch.summary('b');
    await expect(first).rejects.toThrow('store unavailable');
    await expect(second).rejects.toThrow('store unavailable');
    fail = false;
    expect(await batch.summary('a')).toEqual(summaryOf('a'));
  });
});
