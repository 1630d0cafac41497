// The push webhook on one node, against a real HTTP receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../packages/server/src/config/config.js';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { closeAll, connect, FAKE_SDP, ref, settle, uniqueUser } from '../support/test-client.js';
import { verifySignature, WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'push-secret-for-tests';
const RING_TIMEOUT_MS = 2500;
const cand = (i: number) => ({ candidate: `candidate:${i} 1 udp 1 10.0.0.1 ${5000 + i} typ host`, sdpMid: '0' });

describe('push webhook', () => {
  let receiver: WebhookReceiver;
  let node: InProcessNode;
  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    node = await startNode({
      PUSH_WEBHOOK_URL: receiver.url,
      PUSH_WEBHOOK_SECRET: SECRET,
      RING_TIMEOUT_MS: String(RING_TIMEOUT_MS),
    });
  });
  afterAll(async () => {
    await node.close();
    await receiver.close();
  });

  it('an offline callee rings: one signed call_invite notice, then the phone connects, answers, and ICE flows', async () => {
    const alice = await connect(node.url, uniqueUser('alice'), { deviceId: 'phone' });
    const bobId = uniqueUser('bob');
    const started = Date.now();
    const res = await alice.request('call_invite', { to: bobId, media: 'video', sdp: FAKE_SDP });
    expect(res).toEqual({ ok: true, callId: expect.any(String), expiresAt: expect.any(Number) });
    // The answer never waits for the webhook.
    expect(Date.now() - started).toBeLessThan(1000);
    const { callId, expiresAt } = res;
    await alice.request('ice_candidate', { callId, candidate: cand(1) });

    const [notice] = await receiver.waitFor((r) => r.body?.callId === callId);
    expect(notice?.body).toEqual({
      type: 'call_invite',
      callId,
      from: ref(alice),
      to: bobId,
      media: 'video',
      expiresAt,
    });
    expect(notice?.headers['content-type']).toBe('application/json');
    expect(verifySignature(notice!.raw, notice?.headers['x-switchboard-signature'] as string, SECRET)).toBe(true);
    expect(verifySignature(notice!.raw, notice?.headers['x-switchboard-signature'] as string, 'wrong')).toBe(false);

    const phone = await connect(node.url, bobId, { deviceId: 'phone' });
    const incoming = await phone.next('call_incoming', (p) => p.callId === callId);
    expect(incoming).toMatchObject({ callId, from: ref(alice), media: 'video', sdp: FAKE_SDP, expiresAt });
    expect(incoming.candidates).toEqual([cand(1)]);
    expect(await phone.request('call_accept', { callId, sdp: 'answer' })).toEqual({ ok: true });
    expect(await alice.next('call_accepted')).toEqual({ callId, sdp: 'answer', by: ref(phone) });
    expect(await phone.request('ice_candidate', { callId, candidate: cand(2) })).toEqual({ ok: true });
    expect(await alice.next('ice_candidate')).toEqual({ callId, candidate: cand(2), from: ref(phone) });
    expect(await alice.request('ice_candidate', { callId, candidate: cand(3) })).toEqual({ ok: true });
    expect(await phone.next('ice_candidate', (p) => p.candidate?.candidate === cand(3).candidate)).toEqual({
      callId,
      candidate: cand(3),
      from: ref(alice),
    });

    const [ended] = await receiver.waitFor((r) => r.body?.callId === callId && r.body?.type === 'call_ended');
    expect(ended?.body).toEqual({ type: 'call_ended', callId, to: bobId, reason: 'answered' });
    expect(verifySignature(ended!.raw, ended?.headers['x-switchboard-signature'] as string, SECRET)).toBe(true);
    await alice.request('call_end', { callId });
    await phone.next('call_ended');
    await settle(300);
    // Hanging up an answered call sends nothing more.
    expect(receiver.of(callId).map((r) => r.body?.type)).toEqual(['call_invite', 'call_ended']);
    closeAll(alice, phone);
  });

  it('retries after failures with backoff, one body for every attempt; call_ended on cancel', async () => {
    const bobId = uniqueUser('bob');
    receiver.answer = (body) => (body?.to === bobId && body.type === 'call_invite' && failures++ < 2 ? 500 : 200);
    let failures = 0;
    const alice = await connect(node.url, uniqueUser('alice'));
    const { callId } = await alice.request('call_invite', { to: bobId, media: 'audio', sdp: FAKE_SDP });
    const attempts = await receiver.waitFor((r) => r.body?.callId === callId, 3);
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((a) => a.raw)).size).toBe(1);
    const gaps = [attempts[1]!.at - attempts[0]!.at, attempts[2]!.at - attempts[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(450);
    expect(gaps[1]).toBeGreaterThanOrEqual(950);
    expect(await alice.request('call_cancel', { callId })).toEqual({ ok: true });
    const [ended] = await receiver.waitFor((r) => r.body?.callId === callId && r.body?.type === 'call_ended');
    expect(ended?.body).toEqual({ type: 'call_ended', callId, to: bobId, reason: 'cancelled' });
    await settle(300);
    expect(receiver.of(callId, 'call_invite')).toHaveLength(3);
    expect(receiver.of(callId, 'call_ended')).toHaveLength(1);
    receiver.answer = () => 200;
    closeAll(alice);
  });

  it('stops retrying once the call stops ringing; call_ended on timeout', async () => {
    const bobId = uniqueUser('bob');
    receiver.answer = (body) => (body?.to === bobId && body.type === 'call_invite' ? 503 : 200);
    const alice = await connect(node.url, uniqueUser('alice'));
    const { callId } = await alice.request('call_invite', { to: bobId, media: 'audio', sdp: FAKE_SDP });
    expect(await alice.next('call_ended', (p) => p.callId === callId, RING_TIMEOUT_MS + 3000)).toEqual({
      callId,
      reason: 'timeout',
    });
    const [ended] = await receiver.waitFor((r) => r.body?.callId === callId && r.body?.type === 'call_ended');
    expect(ended?.body).toEqual({ type: 'call_ended', callId, to: bobId, reason: 'timeout' });
    const invites = receiver.of(callId, 'call_invite').length;
    // 0 s, 0.5 s, 1.5 s: three attempts within a 2.5 s ring, the next one would come at 3.5 s.
    expect(invites).toBeGreaterThanOrEqual(2);
    expect(invites).toBeLessThanOrEqual(4);
    await settle(2500);
    expect(receiver.of(callId, 'call_invite')).toHaveLength(invites);
    receiver.answer = () => 200;
    closeAll(alice);
  });

  it('a callee with a device online rings without a push', async () => {
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const { callId } = await alice.request('call_invite', { to: bob.userId, media: 'audio', sdp: FAKE_SDP });
    await bob.next('call_incoming');
    await bob.request('call_reject', { callId });
    await settle(300);
    expect(receiver.of(callId)).toEqual([]);
    closeAll(alice, bob);
  });
});

describe('push webhook configuration', () => {
  it('needs a secret with the URL, and an http(s) URL', () => {
    const base = { JWT_SECRET: 'x' };
    expect(() => loadConfig({ ...base, PUSH_WEBHOOK_URL: 'https://push.example.com/hook' }, [])).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, PUSH_WEBHOOK_URL: 'ftp://x', PUSH_WEBHOOK_SECRET: 's' }, [])).toThrow(
      /PUSH_WEBHOOK_URL/,
    );
    expect(() => loadConfig({ ...base, HISTORY_MAX_PER_USER: '0' }, [])).toThrow(/HISTORY_MAX_PER_USER/);
    const config = loadConfig(
      { ...base, PUSH_WEBHOOK_URL: 'https://push.example.com/hook', PUSH_WEBHOOK_SECRET: 's' },
      [],
    );
    expect(config.PUSH_WEBHOOK_URL).toBe('https://push.example.com/hook');
    expect(loadConfig(base, []).HISTORY_MAX_PER_USER).toBe(200);
  });

  it('without a webhook, an offline callee is USER_OFFLINE', async () => {
    const node = await startNode();
    const alice = await connect(node.url, uniqueUser('alice'));
    const res = await alice.request('call_invite', { to: uniqueUser('bob'), media: 'audio', sdp: FAKE_SDP });
    expect(res.error.code).toBe('USER_OFFLINE');
    closeAll(alice);
    await node.close();
  });
});
