// call_history over real sockets: every way a call can end leaves exactly one record per user.
import type { CallHistoryEntry } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/server/src/store/memory/memory-store.js';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import {
  activeCall,
  closeAll,
  connect,
  ringingCall,
  sleep,
  type TestClient,
  uniqueUser,
} from '../support/test-client.js';

const RING_TIMEOUT_MS = 600;
const GRACE_MS = 400;

async function pair(url: string) {
  const alice = await connect(url, uniqueUser('alice'), { deviceId: 'phone' });
  const bob = await connect(url, uniqueUser('bob'), { deviceId: 'phone' });
  return { alice, bob, close: () => closeAll(alice, bob) };
}

async function history(client: TestClient, query: Record<string, unknown> = {}): Promise<CallHistoryEntry[]> {
  const res = await client.request('call_history', query);
  if (!res.ok) throw new Error(`call_history failed: ${JSON.stringify(res.error)}`);
  return res.calls;
}

/** Exactly one record of the call for each user, mirrored, with the given reason and the right duration. */
async function expectOneRecordEach(
  caller: TestClient,
  callee: TestClient,
  callId: string,
  reason: string,
  answered: boolean,
) {
  const mine = (await history(caller)).filter((r) => r.callId === callId);
  const theirs = (await history(callee)).filter((r) => r.callId === callId);
  expect(mine).toHaveLength(1);
  expect(theirs).toHaveLength(1);
  const record = mine[0]!;
  expect(record).toEqual({
    callId,
    direction: 'outgoing',
    peer: { userId: callee.userId },
    media: 'audio',
    createdAt: expect.any(Number),
    ...(answered && { answeredAt: expect.any(Number) }),
    endedAt: expect.any(Number),
    durationMs: answered ? record.endedAt - record.answeredAt! : 0,
    reason,
  });
  expect(record.endedAt).toBeGreaterThanOrEqual(record.createdAt);
  expect(theirs[0]).toEqual({ ...record, direction: 'incoming', peer: { userId: caller.userId } });
}

describe('call history on one node', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode({ RING_TIMEOUT_MS: String(RING_TIMEOUT_MS), RECONNECT_GRACE_MS: String(GRACE_MS) });
  });
  afterAll(() => node.close());

  it('rejected, busy, cancelled: one record per user, duration 0', async () => {
    const p = await pair(node.url);
    const rejected = await ringingCall(p.alice, [p.bob]);
    expect(await p.bob.request('call_reject', { callId: rejected.callId })).toEqual({ ok: true });
    await expectOneRecordEach(p.alice, p.bob, rejected.callId, 'rejected', false);

    const busy = await ringingCall(p.alice, [p.bob]);
    expect(await p.bob.request('call_reject', { callId: busy.callId, reason: 'busy' })).toEqual({ ok: true });
    await expectOneRecordEach(p.alice, p.bob, busy.callId, 'busy', false);

    const cancelled = await ringingCall(p.alice, [p.bob]);
    expect(await p.alice.request('call_cancel', { callId: cancelled.callId })).toEqual({ ok: true });
    await expectOneRecordEach(p.alice, p.bob, cancelled.callId, 'cancelled', false);
    p.close();
  });

  it('timeout: one record per user once the call stops ringing', async () => {
    const p = await pair(node.url);
    const { callId } = await ringingCall(p.alice, [p.bob]);
    await p.alice.next('call_ended', (e) => e.callId === callId, RING_TIMEOUT_MS + 3000);
    await expectOneRecordEach(p.alice, p.bob, callId, 'timeout', false);
    p.close();
  });

  it('answered then hung up, and failed: the duration is the talk time', async () => {
    const p = await pair(node.url);
    const hungUp = await activeCall(p.alice, [p.bob]);
    await sleep(50);
    expect(await p.bob.request('call_end', { callId: hungUp })).toEqual({ ok: true });
    await expectOneRecordEach(p.alice, p.bob, hungUp, 'hangup', true);
    const [record] = await history(p.alice, { limit: 1 });
    expect(record!.durationMs).toBeGreaterThanOrEqual(40);

    const failed = await activeCall(p.alice, [p.bob]);
    expect(await p.alice.request('call_end', { callId: failed, reason: 'failed' })).toEqual({ ok: true });
    await expectOneRecordEach(p.alice, p.bob, failed, 'failed', true);
    p.close();
  });

  it('disconnected: a participant gone past the grace', async () => {
    const p = await pair(node.url);
    const callId = await activeCall(p.alice, [p.bob]);
    p.alice.close();
    await p.bob.next('call_ended', (e) => e.callId === callId, GRACE_MS + 3000);
    const alice = await connect(node.url, p.alice.userId, { deviceId: 'other' });
    await expectOneRecordEach(alice, p.bob, callId, 'disconnected', true);
    closeAll(alice);
    p.close();
  });

  it('a refused invite leaves no record', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const res = await alice.request('call_invite', { to: uniqueUser('nobody'), media: 'audio', sdp: 'v=0' });
    expect(res.error.code).toBe('USER_OFFLINE');
    expect(await history(alice)).toEqual([]);
    closeAll(alice);
  });

  it('newest first, paged with limit and before; only the asking user own calls', async () => {
    const p = await pair(node.url);
    const carol = await connect(node.url, uniqueUser('carol'));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { callId } = await ringingCall(p.alice, [p.bob]);
      await p.alice.request('call_cancel', { callId });
      ids.push(callId);
      await sleep(3); // distinct endedAt, so `before` pages cleanly
    }
    const { callId: other } = await ringingCall(carol, [p.bob]);
    await carol.request('call_cancel', { callId: other });

    const mine = await history(p.alice);
    expect(mine.map((r) => r.callId)).toEqual([...ids].reverse());
    for (let i = 1; i < mine.length; i++) expect(mine[i - 1]!.endedAt).toBeGreaterThan(mine[i]!.endedAt);
    const first = await history(p.alice, { limit: 2 });
    const second = await history(p.alice, { limit: 2, before: first[1]!.endedAt });
    const third = await history(p.alice, { limit: 2, before: second[1]!.endedAt });
    expect([...first, ...second, ...third]).toEqual(mine);
    expect(third).toHaveLength(1);
    expect(await history(p.alice, { before: mine[4]!.endedAt })).toEqual([]);

    // bob sees both callers; carol only her own call; nobody can ask for someone else's.
    expect((await history(p.bob)).map((r) => r.callId)).toEqual([other, ...[...ids].reverse()]);
    expect((await history(carol)).map((r) => r.callId)).toEqual([other]);
    const sneaky = await carol.request('call_history', { userId: p.alice.userId, limit: 100 });
    expect(sneaky.calls.map((r: CallHistoryEntry) => r.callId)).toEqual([other]);
    for (const bad of [{ limit: 0 }, { limit: 101 }, { limit: 1.5 }, { before: 'yesterday' }]) {
      expect((await carol.request('call_history', bad)).error.code).toBe('INVALID_PAYLOAD');
    }
    closeAll(carol);
    p.close();
  });
});

describe('call history cap', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    // The in-process node takes its store ready-made; main.ts builds it from HISTORY_MAX_PER_USER.
    node = await startNode({ HISTORY_MAX_PER_USER: '3' }, new MemoryStore({ historyMaxPerUser: 3 }));
  });
  afterAll(() => node.close());

  it('keeps HISTORY_MAX_PER_USER records per user, the newest', async () => {
    const p = await pair(node.url);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { callId } = await ringingCall(p.alice, [p.bob]);
      await p.bob.request('call_reject', { callId });
      ids.push(callId);
      // Records are ordered by endedAt; two ends in one millisecond would tie.
      await new Promise((r) => setTimeout(r, 3));
    }
    const newest = ids.slice(2).reverse();
    expect((await history(p.alice)).map((r) => r.callId)).toEqual(newest);
    expect((await history(p.bob, { limit: 100 })).map((r) => r.callId)).toEqual(newest);
    p.close();
  });
});
