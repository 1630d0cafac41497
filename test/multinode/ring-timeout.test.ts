import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import { closeAll, connect, FAKE_SDP, settle, type TestClient, uniqueUser } from '../support/test-client.js';
import { type Env, EVENT_MS, since, startEnv } from './helpers.js';

const RING_TIMEOUT_MS = 1500;

describe.skipIf(!redisServerAvailable)('ring timeouts with three nodes racing', () => {
  let env: Env;
  beforeAll(async () => {
    // A long grace, so a killed caller's calls end by timeout, not by disconnect.
    env = await startEnv(3, { RING_TIMEOUT_MS: String(RING_TIMEOUT_MS), RECONNECT_GRACE_MS: '20000' });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('ends each call exactly once, telling each device once, about on time', async () => {
    const nodes = env.nodes;
    const calls: { callId: string; expiresAt: number; devices: TestClient[] }[] = [];
    const everyone: TestClient[] = [];
    for (let i = 0; i < 6; i++) {
      const caller = await connect(nodes[i % 3]!.url, uniqueUser('caller'), { deviceId: 'c' });
      const calleeId = uniqueUser('callee');
      const devices = [
        await connect(nodes[(i + 1) % 3]!.url, calleeId, { deviceId: 'one' }),
        await connect(nodes[(i + 2) % 3]!.url, calleeId, { deviceId: 'two' }),
      ];
      everyone.push(caller, ...devices);
      calls.push({ callId: '', expiresAt: 0, devices: [caller, ...devices] });
    }
    const invites = await Promise.all(
      calls.map(({ devices: [caller, callee] }) =>
        caller!.request('call_invite', { to: callee!.userId, media: 'audio', sdp: FAKE_SDP }),
      ),
    );
    invites.forEach((res, i) => {
      expect(res.ok, JSON.stringify(res)).toBe(true);
      calls[i]!.callId = res.callId;
      calls[i]!.expiresAt = res.expiresAt;
    });

    let latest = 0;
    for (const call of calls) {
      for (const device of call.devices) {
        const ended = await device.next('call_ended', (p) => p.callId === call.callId, EVENT_MS);
        expect(ended).toEqual({ callId: call.callId, reason: 'timeout' });
        latest = Math.max(latest, Date.now() - call.expiresAt);
      }
    }
    console.info(`ring timeouts announced at most ${latest} ms after expiresAt`);
    expect(latest).toBeLessThan(1500);

    await settle(1000);
    for (const call of calls) {
      for (const device of call.devices) expect(device.all('call_ended')).toHaveLength(1);
    }
    // The timed-out calls are over everywhere: the callers may call again.
    const again = await calls[0]!.devices[0]!.request('call_invite', {
      to: calls[1]!.devices[1]!.userId,
      media: 'audio',
      sdp: FAKE_SDP,
    });
    expect(again.ok).toBe(true);
    await calls[1]!.devices[1]!.next('call_incoming', (p) => p.callId === again.callId, EVENT_MS);
    closeAll(...everyone);
  });

  it('fires even when the node that created the call was SIGKILLed', async () => {
    const [n1, n2, n3] = env.nodes;
    const doomed = await env.cluster.add('node-creator');
    const caller = await connect(doomed.url, uniqueUser('caller'), { deviceId: 'c' });
    const calleeId = uniqueUser('callee');
    const phone = await connect(n2!.url, calleeId, { deviceId: 'phone' });
    const laptop = await connect(n3!.url, calleeId, { deviceId: 'laptop' });
    const watcher = await connect(n1!.url, uniqueUser('watcher'));
    const invite = await caller.request('call_invite', { to: calleeId, media: 'video', sdp: FAKE_SDP });
    expect(invite.ok).toBe(true);
    await phone.next('call_incoming', (p) => p.callId === invite.callId, EVENT_MS);
    await laptop.next('call_incoming', (p) => p.callId === invite.callId, EVENT_MS);

    await doomed.kill();
    for (const device of [phone, laptop]) {
      expect(await device.next('call_ended', (p) => p.callId === invite.callId, EVENT_MS)).toEqual({
        callId: invite.callId,
        reason: 'timeout',
      });
    }
    const late = since(invite.expiresAt);
    console.info(`timeout of a dead node's call announced ${late} ms after expiresAt`);
    expect(late).toBeLessThan(1500);
    const presence = await watcher.request('presence_query', { userIds: [calleeId] });
    expect(presence.presence[0]).toMatchObject({ status: 'online', inCall: false });
    await settle(500);
    expect(phone.all('call_ended')).toHaveLength(1);
    expect(laptop.all('call_ended')).toHaveLength(1);
    closeAll(phone, laptop, watcher);
  });
});
