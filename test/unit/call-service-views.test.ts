import type { DeviceRef, ServerToClientEvents } from '@switchboard/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import { CallService } from '../../packages/server/src/domain/call-service.js';
import type { Audience, Notifier } from '../../packages/server/src/domain/notifier.js';
import { PresenceService } from '../../packages/server/src/domain/presence-service.js';
import { CallReadCountingStore } from '../support/call-read-counting-store.js';

/**
 * A device's view of a call (what its node told it) lets the call service
 * skip the read that checks the device's role. A view that is behind the
 * stored call must still get the answers the full checks give.
 */

class RecordingNotifier implements Notifier {
  readonly sent: { to: Audience; event: string }[] = [];
  emit<E extends keyof ServerToClientEvents>(to: Audience, event: E, ..._args: Parameters<ServerToClientEvents[E]>) {
    this.sent.push({ to, event });
  }
  disconnectSocket(): void {}
}

const alice: DeviceRef = { userId: 'alice', deviceId: 'phone' };
const bobPhone: DeviceRef = { userId: 'bob', deviceId: 'phone' };
const bobLaptop: DeviceRef = { userId: 'bob', deviceId: 'laptop' };
const RULES = { ringTimeoutMs: 30_000, maxConcurrentCalls: 2, endedRetentionMs: 60_000, ringOffline: false };

describe('call service with the device’s view of the call', () => {
  let store: CallReadCountingStore;
  let calls: CallService;
  beforeEach(async () => {
    store = new CallReadCountingStore({ historyMaxPerUser: 10 });
    const notifier = new RecordingNotifier();
    calls = new CallService(store, notifier, new PresenceService(store, notifier), RULES);
    for (const [i, d] of [alice, bobPhone, bobLaptop].entries()) {
      await store.registerDevice({ ...d, socketId: `s${i}`, nodeId: 'n1', now: Date.now(), ttlMs: 60_000 });
    }
  });

  const invite = async () => (await calls.invite(alice, { to: 'bob', media: 'audio', sdp: 'offer' })).callId;
  const ringing = { role: 'callee', state: 'ringing' } as const;

  it('a current view answers, rings and hangs up without reading the call', async () => {
    const callId = await invite();
    await calls.ringing(bobPhone, { callId }, ringing);
    await calls.accept(bobPhone, { callId, sdp: 'answer' }, ringing);
    await calls.end(alice, { callId }, { role: 'caller', state: 'active' });
    expect(store.summaryReads).toBe(0);
    expect((await store.getHistory('bob', { limit: 1 }))[0]?.reason).toBe('hangup');
  });

  it('a view behind an answer elsewhere gets the answers of the full checks', async () => {
    const callId = await invite();
    await calls.accept(bobPhone, { callId }, ringing);
    // The laptop has not yet heard that the phone answered.
    await expect(calls.accept(bobLaptop, { callId }, ringing)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(calls.ringing(bobLaptop, { callId }, ringing)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(calls.end(bobLaptop, { callId }, ringing)).rejects.toMatchObject({ code: 'NOT_PARTICIPANT' });
    // The caller, who still thinks it rings, hangs up the answered call.
    await calls.end(alice, { callId }, { role: 'caller', state: 'ringing' });
    expect((await store.getHistory('alice', { limit: 1 }))[0]?.reason).toBe('hangup');
  });

  it('a view of a call that ended or never existed gets INVALID_STATE or CALL_NOT_FOUND', async () => {
    const callId = await invite();
    await calls.cancel(alice, { callId });
    await expect(calls.accept(bobPhone, { callId }, ringing)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(calls.end(bobPhone, { callId }, ringing)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect(calls.accept(bobPhone, { callId: unknown }, ringing)).rejects.toMatchObject({
      code: 'CALL_NOT_FOUND',
    });
    await expect(calls.end(bobPhone, { callId: unknown }, ringing)).rejects.toMatchObject({ code: 'CALL_NOT_FOUND' });
  });

  it('a ringing callee device that ends the call rejects it; a ringing caller cancels it', async () => {
    const rejected = await invite();
    await calls.end(bobLaptop, { callId: rejected }, ringing);
    const cancelled = await invite();
    await calls.end(alice, { callId: cancelled }, { role: 'caller', state: 'ringing' });
    // Both may end in the same millisecond: compare by call, not by order.
    const reasons = new Map((await store.getHistory('bob', { limit: 2 })).map((r) => [r.callId, r.reason]));
    expect(reasons).toEqual(
      new Map([
        [cancelled, 'cancelled'],
        [rejected, 'rejected'],
      ]),
    );
  });
});
