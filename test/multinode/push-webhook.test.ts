// The push webhook across three node processes on one Redis, against a real HTTP receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../support/redis-server.js';
import { closeAll, connect, FAKE_SDP, ref, settle, uniqueUser } from '../support/test-client.js';
import { verifySignature, WebhookReceiver } from '../support/webhook-receiver.js';
import { type Env, EVENT_MS, startEnv } from './helpers.js';

const SECRET = 'multinode-push-secret';
const RING_TIMEOUT_MS = 4000;
const cand = (i: number) => ({ candidate: `candidate:${i} 1 udp 1 10.0.0.2 ${6000 + i} typ host`, sdpMid: '0' });

describe.skipIf(!redisServerAvailable)('push webhook on three nodes', () => {
  let receiver: WebhookReceiver;
  let env: Env;
  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    env = await startEnv(3, {
      PUSH_WEBHOOK_URL: receiver.url,
      PUSH_WEBHOOK_SECRET: SECRET,
      RING_TIMEOUT_MS: String(RING_TIMEOUT_MS),
    });
  });
  afterAll(async () => {
    await env?.close();
    await receiver?.close();
  });

  it('one notice per call after two failures; the phone connects to another node, answers, and ICE flows', async () => {
    const [n1, n2] = env.nodes;
    const bobId = uniqueUser('bob');
    let failures = 0;
    receiver.answer = (body) => (body?.to === bobId && body.type === 'call_invite' && failures++ < 2 ? 500 : 200);
    const alice = await connect(n1!.url, uniqueUser('alice'), { deviceId: 'laptop' });
    const res = await alice.request('call_invite', { to: bobId, media: 'audio', sdp: FAKE_SDP });
    expect(res.ok).toBe(true);
    const { callId, expiresAt } = res;
    await alice.request('ice_candidate', { callId, candidate: cand(1) });

    const attempts = await receiver.waitFor((r) => r.body?.callId === callId, 3, EVENT_MS);
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    for (const attempt of attempts) {
      expect(attempt.body).toEqual({
        type: 'call_invite',
        callId,
        from: ref(alice),
        to: bobId,
        media: 'audio',
        expiresAt,
      });
      expect(verifySignature(attempt.raw, attempt.headers['x-switchboard-signature'] as string, SECRET)).toBe(true);
    }

    const phone = await connect(n2!.url, bobId, { deviceId: 'phone' });
    const incoming = await phone.next('call_incoming', (p) => p.callId === callId, EVENT_MS);
    expect(incoming.candidates).toEqual([cand(1)]);
    expect(await phone.request('call_accept', { callId, sdp: 'answer' })).toEqual({ ok: true });
    expect(await alice.next('call_accepted', () => true, EVENT_MS)).toEqual({ callId, sdp: 'answer', by: ref(phone) });
    await phone.request('ice_candidate', { callId, candidate: cand(2) });
    expect(await alice.next('ice_candidate', () => true, EVENT_MS)).toEqual({
      callId,
      candidate: cand(2),
      from: ref(phone),
    });
    await alice.request('ice_candidate', { callId, candidate: cand(3) });
    expect(
      await phone.next('ice_candidate', (p) => p.candidate?.candidate === cand(3).candidate, EVENT_MS),
    ).toMatchObject({ callId, from: ref(alice) });

    const [ended] = await receiver.waitFor(
      (r) => r.body?.callId === callId && r.body?.type === 'call_ended',
      1,
      EVENT_MS,
    );
    expect(ended?.body).toEqual({ type: 'call_ended', callId, to: bobId, reason: 'answered' });
    expect(await phone.request('call_end', { callId })).toEqual({ ok: true });
    await alice.next('call_ended', (p) => p.callId === callId, EVENT_MS);
    await settle(1000);
    expect(receiver.of(callId).map((r) => [r.body?.type, r.status])).toEqual([
      ['call_invite', 500],
      ['call_invite', 500],
      ['call_invite', 200],
      ['call_ended', 200],
    ]);
    receiver.answer = () => 200;
    closeAll(alice, phone);
  });

  it('call_ended once on cancel, whichever node the caller is on', async () => {
    const n3 = env.nodes[2]!;
    const bobId = uniqueUser('bob');
    const alice = await connect(n3.url, uniqueUser('alice'));
    const { callId } = await alice.request('call_invite', { to: bobId, media: 'video', sdp: FAKE_SDP });
    await receiver.waitFor((r) => r.body?.callId === callId, 1, EVENT_MS);
    expect(await alice.request('call_cancel', { callId })).toEqual({ ok: true });
    const [ended] = await receiver.waitFor(
      (r) => r.body?.callId === callId && r.body?.type === 'call_ended',
      1,
      EVENT_MS,
    );
    expect(ended?.body).toEqual({ type: 'call_ended', callId, to: bobId, reason: 'cancelled' });
    await settle(1000);
    expect(receiver.of(callId).map((r) => r.body?.type)).toEqual(['call_invite', 'call_ended']);
    closeAll(alice);
  });

  it('call_ended once on timeout, though every node checks the ring deadlines', async () => {
    const bobId = uniqueUser('bob');
    const alice = await connect(env.nodes[0]!.url, uniqueUser('alice'));
    const { callId } = await alice.request('call_invite', { to: bobId, media: 'audio', sdp: FAKE_SDP });
    expect(await alice.next('call_ended', (p) => p.callId === callId, RING_TIMEOUT_MS + EVENT_MS)).toEqual({
      callId,
      reason: 'timeout',
    });
    const [ended] = await receiver.waitFor(
      (r) => r.body?.callId === callId && r.body?.type === 'call_ended',
      1,
      EVENT_MS,
    );
    expect(ended?.body).toEqual({ type: 'call_ended', callId, to: bobId, reason: 'timeout' });
    expect(verifySignature(ended!.raw, ended?.headers['x-switchboard-signature'] as string, SECRET)).toBe(true);
    await settle(1000);
    expect(receiver.of(callId).map((r) => r.body?.type)).toEqual(['call_invite', 'call_ended']);
    closeAll(alice);
  });
});
