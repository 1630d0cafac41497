// Call history and catching up after an absence, across node processes on one Redis.
import type { CallHistoryEntry } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import {
  activeCall,
  closeAll,
  connect,
  ref,
  ringingCall,
  settle,
  type TestClient,
  uniqueUser,
} from '../support/test-client.js';
import { type Env, EVENT_MS, startEnv } from './helpers.js';

async function history(client: TestClient, query: Record<string, unknown> = {}): Promise<CallHistoryEntry[]> {
  const res = await client.request('call_history', query, EVENT_MS);
  if (!res.ok) throw new Error(`call_history failed: ${JSON.stringify(res.error)}`);
  return res.calls;
}

describe.skipIf(!redisServerAvailable)('call history and catch-up on several nodes', () => {
  let env: Env;
  beforeAll(async () => {
    // A grace long enough to reconnect elsewhere on a busy machine; bob may be in two calls.
    env = await startEnv(2, { RECONNECT_GRACE_MS: '8000', MAX_CONCURRENT_CALLS: '2' });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('records written by a node survive its SIGKILL, readable from any node', async () => {
    const doomed = await env.cluster.add('node-history-dies');
    const [n1, n2] = env.nodes;
    const alice = await connect(doomed.url, uniqueUser('alice'), { deviceId: 'phone' });
    const bob = await connect(n1!.url, uniqueUser('bob'), { deviceId: 'phone' });
    // Both calls are ended by requests to the doomed node, so it writes both records.
    const hungUp = await activeCall(alice, [bob]);
    expect(await alice.request('call_end', { callId: hungUp })).toEqual({ ok: true });
    const { callId: cancelled } = await ringingCall(alice, [bob]);
    expect(await alice.request('call_cancel', { callId: cancelled })).toEqual({ ok: true });
    const before = await history(alice);
    expect(before.map((r) => [r.callId, r.reason])).toEqual([
      [cancelled, 'cancelled'],
      [hungUp, 'hangup'],
    ]);

    await doomed.kill();
    const aliceAgain = await connect(n2!.url, alice.userId, { deviceId: 'laptop' });
    expect(await history(aliceAgain)).toEqual(before);
    const bobs = await history(bob);
    expect(bobs.map((r) => [r.callId, r.direction, r.reason])).toEqual([
      [cancelled, 'incoming', 'cancelled'],
      [hungUp, 'incoming', 'hangup'],
    ]);
    const answered = bobs[1]!;
    expect(answered.durationMs).toBe(answered.endedAt - answered.answeredAt!);
    closeAll(alice, bob, aliceAgain);
  });

  it('a device back on another node within the grace hears of the calls that ended meanwhile', async () => {
    const [n1, n2] = env.nodes;
    const aliceId = uniqueUser('alice');
    const bobId = uniqueUser('bob');
    const alice = await connect(n1!.url, aliceId, { deviceId: 'phone' });
    const bobPhone = await connect(n1!.url, bobId, { deviceId: 'phone' });
    const bobLaptop = await connect(n1!.url, bobId, { deviceId: 'laptop' });

    // An active call whose peer hangs up while the caller is away.
    const active = await activeCall(alice, [bobPhone, bobLaptop]);
    // A ringing call the caller cancels while the laptop is away.
    const carol = await connect(n2!.url, uniqueUser('carol'));
    const { callId: ringing } = await ringingCall(carol, [bobPhone, bobLaptop]);

    alice.close();
    bobLaptop.close();
    await settle(300);
    expect(await bobPhone.request('call_end', { callId: active })).toEqual({ ok: true });
    expect(await carol.request('call_cancel', { callId: ringing })).toEqual({ ok: true });

    const aliceBack = await connect(n2!.url, aliceId, { deviceId: 'phone' });
    const laptopBack = await connect(n2!.url, bobId, { deviceId: 'laptop' });
    expect(await aliceBack.next('call_ended', (p) => p.callId === active, EVENT_MS)).toEqual({
      callId: active,
      reason: 'hangup',
      by: ref(bobPhone),
    });
    expect(await laptopBack.next('call_ended', (p) => p.callId === ringing, EVENT_MS)).toEqual({
      callId: ringing,
      reason: 'cancelled',
      by: ref(carol),
    });
    await settle(1000);
    // Once each, nothing about calls they were not in, and never rung again.
    expect(aliceBack.all('call_ended')).toHaveLength(1);
    expect(laptopBack.all('call_ended')).toHaveLength(1);
    expect(laptopBack.all('call_incoming')).toEqual([]);
    expect(aliceBack.all('call_resumed')).toEqual([]);
    closeAll(bobPhone, carol, aliceBack, laptopBack);
  });

  it('a callee device away while another device answered gets answered_elsewhere when it comes back', async () => {
    const [n1, n2] = env.nodes;
    const bobId = uniqueUser('bob');
    const alice = await connect(n1!.url, uniqueUser('alice'));
    const bobPhone = await connect(n1!.url, bobId, { deviceId: 'phone' });
    const bobLaptop = await connect(n2!.url, bobId, { deviceId: 'laptop' });
    const { callId } = await ringingCall(alice, [bobPhone, bobLaptop]);
    bobLaptop.close();
    await settle(300);
    expect(await bobPhone.request('call_accept', { callId })).toEqual({ ok: true });
    await alice.next('call_accepted', () => true, EVENT_MS);
    const laptopBack = await connect(n1!.url, bobId, { deviceId: 'laptop' });
    expect(await laptopBack.next('call_ended', (p) => p.callId === callId, EVENT_MS)).toEqual({
      callId,
      reason: 'answered_elsewhere',
      by: ref(bobPhone),
    });
    await alice.request('call_end', { callId });
    await bobPhone.next('call_ended', (p) => p.callId === callId, EVENT_MS);
    await settle(1000);
    expect(laptopBack.all('call_ended')).toHaveLength(1);
    expect(laptopBack.all('call_incoming')).toEqual([]);
    closeAll(alice, bobPhone, laptopBack);
  });
});
