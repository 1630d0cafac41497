import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../../packages/server/src/store/store.js';
import { RETAIN, type StoreFactory, T0 } from './fixtures.js';

const users = ['u:a', 'u.b', 'u@c'] as const;
const devices = ['d1', 'd2'] as const;
const TTL = 15_000;
const GRACE = 5_000;
const RING = 10_000;

const user = fc.constantFrom(...users);
const device = fc.constantFrom(...devices);
const socket = fc.constantFrom('s1', 's2');
const callIndex = fc.nat({ max: 9 });

// Weighted towards calls, so most runs reach accepts, ends and claims on live calls.
const operation = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('register' as const), user, device, socket }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unregister' as const), user, device, socket }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('invite' as const),
      user,
      device,
      to: user,
      allowOffline: fc.boolean(),
      repeat: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: callIndex }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ringing' as const), call: callIndex, device }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('accept' as const), call: callIndex, device }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('end' as const),
      call: callIndex,
      from: fc.constantFrom(['ringing'] as const, ['active'] as const, ['ringing', 'active'] as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('timeouts' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('graces' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 12_000 }) }) },
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

interface Run {
  store: Store;
  now: number;
  limit: number;
  callIds: string[];
  endings: Map<string, number>;
}

async function apply(run: Run, op: Operation): Promise<void> {
  const { store, now } = run;
  const ended = (callId: string) => run.endings.set(callId, (run.endings.get(callId) ?? 0) + 1);
  const callAt = (i: number) => run.callIds[i % Math.max(run.callIds.length, 1)];
  switch (op.kind) {
    case 'register':
      await store.refreshNode('node', now, TTL);
      await store.registerDevice({
        userId: op.user,
        deviceId: op.device,
        socketId: op.socket,
        nodeId: 'node',
        now,
        ttlMs: TTL,
      });
      return;
    case 'unregister':
      await store.unregisterDevice({ userId: op.user, deviceId: op.device, socketId: op.socket, now, graceMs: GRACE });
      return;
    case 'invite': {
      if (op.user === op.to) return;
      const repeated = op.repeat === undefined ? undefined : callAt(op.repeat);
      const result = await store.createCall({
        callId: repeated ?? randomUUID(),
        caller: { userId: op.user, deviceId: op.device },
        calleeUserId: op.to,
        media: 'audio',
        offer: 'sdp',
        now,
        expiresAt: now + RING,
        maxConcurrent: run.limit,
        allowOffline: op.allowOffline,
      });
      if (result.ok && result.created) run.callIds.push(result.call.callId);
      return;
    }
    case 'ringing':
    case 'accept': {
      const callId = callAt(op.call);
      const call = callId && (await store.getCall(callId));
      if (!call) return;
      const by = { userId: call.callee.userId, deviceId: op.device };
      if (op.kind === 'ringing') await store.markRinging(call.callId, by);
      else await store.acceptCall(call.callId, by, undefined, now);
      return;
    }
    case 'end': {
      const callId = callAt(op.call);
      if (!callId) return;
      const result = await store.endCall({ callId, from: op.from, reason: 'hangup', now, retainMs: RETAIN });
      if (result.ok) ended(callId);
      return;
    }
    case 'timeouts':
      for (const e of await store.claimRingTimeouts(now, 5, RETAIN)) ended(e.call.callId);
      return;
    case 'graces':
      for (const e of await store.claimDisconnectGraces(now, 5, RETAIN)) ended(e.call.callId);
      return;
    case 'expire':
      await store.expireDevices(now, GRACE, 5);
      return;
    case 'sweep':
      await store.sweepDeadNodes(now, GRACE);
      return;
    case 'tick':
      run.now += op.ms;
      return;
  }
}

async function checkInvariants(run: Run): Promise<void> {
  for (const [callId, count] of run.endings) {
    expect(count, `call ${callId} ended more than once`).toBe(1);
  }
  const presence = await run.store.getPresence(users);
  for (const [i, userId] of users.entries()) {
    const live = await run.store.listUserCalls(userId);
    expect(live.length, `${userId} has more live calls than the limit`).toBeLessThanOrEqual(run.limit);
    for (const call of live) {
      expect(call.state).not.toBe('ended');
      expect(run.endings.has(call.callId), `ended call ${call.callId} still live for ${userId}`).toBe(false);
      expect([call.caller.userId, call.callee.userId]).toContain(userId);
    }
    expect(presence[i]?.inCall).toBe(live.length > 0);
  }
  for (const callId of run.endings.keys()) {
    expect((await run.store.getCall(callId))?.state).toBe('ended');
  }
}

export function propertyContract(factory: StoreFactory): void {
  describe('invariants under random operations', () => {
    it('keeps live calls within the limit and ends each call at most once', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 2 }),
          fc.array(operation, { minLength: 5, maxLength: 40, size: 'max' }),
          async (limit, ops) => {
            const { store, cleanup } = await factory();
            try {
              const run: Run = { store, now: T0, limit, callIds: [], endings: new Map() };
              for (const op of ops) {
                await apply(run, op);
                await checkInvariants(run);
              }
            } finally {
              await cleanup();
            }
          },
        ),
        { numRuns: 80 },
      );
    });
  });
}
