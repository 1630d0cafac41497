import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { activeCall, closeAll, connect, ringingCall, settle, uniqueUser } from '../support/test-client.js';

describe('presence and heartbeat', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.close());

  it('heartbeat answers the server time', async () => {
    const client = await connect(node.url, uniqueUser('hb'));
    const before = Date.now();
    const res = await client.request('heartbeat', {});
    const after = Date.now();
    expect(res).toEqual({ ok: true, serverTime: expect.any(Number) });
    expect(res.serverTime).toBeGreaterThanOrEqual(before);
    expect(res.serverTime).toBeLessThanOrEqual(after);
    client.close();
  });

  it('subscribe answers the presence of each user, in the order asked', async () => {
    const watcher = await connect(node.url, uniqueUser('watcher'));
    const online = await connect(node.url, uniqueUser('online'));
    const never = uniqueUser('never');
    const res = await watcher.request('presence_subscribe', { userIds: [never, online.userId] });
    expect(res).toEqual({
      ok: true,
      presence: [
        { userId: never, status: 'offline', inCall: false },
        { userId: online.userId, status: 'online', inCall: false },
      ],
    });
    closeAll(watcher, online);
  });

  it('query answers the same presence without subscribing', async () => {
    const watcher = await connect(node.url, uniqueUser('watcher'));
    const target = uniqueUser('target');
    const res = await watcher.request('presence_query', { userIds: [target] });
    expect(res).toEqual({ ok: true, presence: [{ userId: target, status: 'offline', inCall: false }] });
    const t = await connect(node.url, target);
    expect(await watcher.request('presence_query', { userIds: [target] })).toEqual({
      ok: true,
      presence: [{ userId: target, status: 'online', inCall: false }],
    });
    await settle();
    expect(watcher.all('presence')).toEqual([]);
    closeAll(watcher, t);
  });

  it('tells subscribers of status changes, not of a second device, and lastSeen after the last clean disconnect', async () => {
    const watcher = await connect(node.url, uniqueUser('watcher'));
    const bystander = await connect(node.url, uniqueUser('bystander'));
    const target = uniqueUser('target');
    await watcher.request('presence_subscribe', { userIds: [target] });

    const phone = await connect(node.url, target, { deviceId: 'phone' });
    expect(await watcher.next('presence')).toEqual({ userId: target, status: 'online', inCall: false });

    const laptop = await connect(node.url, target, { deviceId: 'laptop' });
    laptop.close();
    await laptop.disconnected();
    await settle();
    expect(watcher.all('presence')).toHaveLength(1);

    const before = Date.now();
    phone.close();
    const offline = await watcher.next('presence', (p) => p.status === 'offline');
    const after = Date.now();
    expect(offline).toEqual({ userId: target, status: 'offline', lastSeen: expect.any(Number), inCall: false });
    expect(offline.lastSeen).toBeGreaterThanOrEqual(before);
    expect(offline.lastSeen).toBeLessThanOrEqual(after);
    expect(watcher.all('presence')).toHaveLength(2);

    // Query shows the same lastSeen; a non-subscriber was told nothing.
    expect((await watcher.request('presence_query', { userIds: [target] })).presence).toEqual([offline]);
    expect(bystander.all('presence')).toEqual([]);
    closeAll(watcher, bystander);
  });

  it('tells subscribers when inCall changes (invite, end), not on accept', async () => {
    const watcher = await connect(node.url, uniqueUser('watcher'));
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const sub = await watcher.request('presence_subscribe', { userIds: [alice.userId, bob.userId] });
    expect(sub.presence.map((p: { inCall: boolean }) => p.inCall)).toEqual([false, false]);

    const { callId } = await ringingCall(alice, [bob]);
    await watcher.next('presence', (p) => p.userId === alice.userId && p.inCall);
    await watcher.next('presence', (p) => p.userId === bob.userId && p.inCall);
    expect(watcher.all('presence')).toEqual([
      expect.objectContaining({ userId: expect.any(String), status: 'online', inCall: true }),
      expect.objectContaining({ userId: expect.any(String), status: 'online', inCall: true }),
    ]);

    await bob.request('call_accept', { callId });
    await settle();
    expect(watcher.all('presence')).toHaveLength(2);

    await alice.request('call_end', { callId });
    const aliceFree = await watcher.next('presence', (p) => p.userId === alice.userId && !p.inCall);
    const bobFree = await watcher.next('presence', (p) => p.userId === bob.userId && !p.inCall);
    expect(aliceFree).toEqual({ userId: alice.userId, status: 'online', inCall: false });
    expect(bobFree).toEqual({ userId: bob.userId, status: 'online', inCall: false });
    await settle();
    expect(watcher.all('presence')).toHaveLength(4);
    closeAll(watcher, alice, bob);
  });

  it('query and subscribe show inCall during a call', async () => {
    const watcher = await connect(node.url, uniqueUser('watcher'));
    const alice = await connect(node.url, uniqueUser('alice'));
    const bob = await connect(node.url, uniqueUser('bob'));
    const callId = await activeCall(alice, [bob]);
    expect((await watcher.request('presence_query', { userIds: [alice.userId, bob.userId] })).presence).toEqual([
      { userId: alice.userId, status: 'online', inCall: true },
      { userId: bob.userId, status: 'online', inCall: true },
    ]);
    await bob.request('call_end', { callId });
    closeAll(watcher, alice, bob);
  });

  it('unsubscribe answers ok and stops the events', async () => {
    const watcher = await connect(node.url, uniqueUser('watcher'));
    const target = uniqueUser('target');
    const other = uniqueUser('other');
    await watcher.request('presence_subscribe', { userIds: [target, other] });
    expect(await watcher.request('presence_unsubscribe', { userIds: [target] })).toEqual({ ok: true });
    const t = await connect(node.url, target);
    const o = await connect(node.url, other);
    await watcher.next('presence', (p) => p.userId === other);
    await settle();
    expect(watcher.all('presence')).toEqual([{ userId: other, status: 'online', inCall: false }]);
    // Unsubscribing from a user never subscribed to is fine too.
    expect(await watcher.request('presence_unsubscribe', { userIds: [uniqueUser('stranger')] })).toEqual({ ok: true });
    closeAll(watcher, t, o);
  });

  it('a user whose devices are all closed is offline; one device still online keeps it online', async () => {
    const watcher = await connect(node.url, uniqueUser('watcher'));
    const target = uniqueUser('target');
    const a = await connect(node.url, target, { deviceId: 'a' });
    const b = await connect(node.url, target, { deviceId: 'b' });
    await watcher.request('presence_subscribe', { userIds: [target] });
    a.close();
    await a.disconnected();
    await settle();
    expect(watcher.all('presence')).toEqual([]);
    expect((await watcher.request('presence_query', { userIds: [target] })).presence[0].status).toBe('online');
    b.close();
    expect(await watcher.next('presence')).toMatchObject({ userId: target, status: 'offline' });
    watcher.close();
  });
});
